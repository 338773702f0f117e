package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestWebSocket: serve ws:// on port 0 prints the address with its path;
// call, ping and tree reach it over a WebSocket.
func TestWebSocket(t *testing.T) {
	addr := serve(t, "ws://127.0.0.1:0/ipfi")
	if !regexp.MustCompile(`^ws://127\.0\.0\.1:[1-9][0-9]*/ipfi$`).MatchString(addr) {
		t.Fatalf("serve printed address %q, want ws://127.0.0.1:PORT/ipfi", addr)
	}
	args := []string{"call", addr, "1", `"John"`, `"Doe"`}
	stdout, stderr, code := cli(t, args...)
	wantOK(t, args, stdout, stderr, code)
	if stdout != hello {
		t.Errorf("ipfi %q printed %q, want %q", args, stdout, hello)
	}
	for _, args := range [][]string{{"ping", addr}, {"tree", addr}} {
		stdout, stderr, code := cli(t, args...)
		wantOK(t, args, stdout, stderr, code)
		if want := map[string]string{"ping": "pong in ", "tree": "interface: "}[args[0]]; !strings.Contains(stdout, want) {
			t.Errorf("ipfi %q printed %q, want %q in it", args, stdout, want)
		}
	}
}

// TestWebSocketSecure: serve wss:// without a certificate makes a
// self-signed one and prints its fingerprint; call -insecure reaches it,
// and a call that verifies fails within 5s naming the certificate's
// problem and its fingerprint.
func TestWebSocketSecure(t *testing.T) {
	selfSignedServed(t, "wss://127.0.0.1:0/ipfi", `^wss://127\.0\.0\.1:[1-9][0-9]*/ipfi$`)
}
