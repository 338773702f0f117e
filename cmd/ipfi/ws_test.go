package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
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
	addr, served := serveArgs(t, "wss://127.0.0.1:0/ipfi")
	if !regexp.MustCompile(`^wss://127\.0\.0\.1:[1-9][0-9]*/ipfi$`).MatchString(addr) {
		t.Fatalf("serve printed address %q, want wss://127.0.0.1:PORT/ipfi", addr)
	}
	m := fingerprintRE.FindStringSubmatch(served)
	if m == nil || !strings.Contains(served, "self-signed certificate for 127.0.0.1") || !strings.Contains(served, addr) {
		t.Fatalf("serve printed %q on stderr, want the address, the self-signed certificate and its fingerprint", served)
	}

	args := []string{"call", "-insecure", addr, "1", `"John"`, `"Doe"`}
	stdout, stderr, code := cli(t, args...)
	if code != 0 || stdout != hello || stderr != insecureWarning {
		t.Errorf("ipfi %q: exit %d, stdout %q, stderr %q; want 0, %q and the warning", args, code, stdout, stderr, hello)
	}

	args = []string{"call", addr, "1", `"John"`, `"Doe"`}
	start := time.Now()
	stdout, stderr, code = cli(t, args...)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("ipfi %q took %v, want it to fail within 5s", args, took)
	}
	wantFail(t, args, stdout, stderr, code, "cannot connect to "+addr, "certificate signed by unknown authority", m[1])
}
