package main

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ipfi-go/ipfi"
)

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// TestBenchConns: bench -conns N makes N connections to the server (each
// one's first call is made before the run, so the server has accepted them
// all when bench returns), spreads its callers over them and says how many
// there were; without -conns it makes one.
func TestBenchConns(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		conns int64
		want  string
	}{
		{"default", nil, 1, "3 callers over 1 connection, "},
		{"three", []string{"-conns", "3"}, 3, "3 callers over 3 connections, "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iface, err := ipfi.New()
			if err != nil {
				t.Fatal(err)
			}
			if err := registerExamples(iface); err != nil {
				t.Fatal(err)
			}
			inner, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			l := &countingListener{Listener: inner}
			addr := serveInterface(t, iface, l)
			args := append(append([]string{"bench", "-d", "100ms", "-c", "3"}, tc.flags...), addr, "0")
			stdout, stderr, code := cli(t, args...)
			wantOK(t, args, stdout, stderr, code)
			if got := l.accepted.Load(); got != tc.conns {
				t.Errorf("ipfi %q made %d connections, want %d", args, got, tc.conns)
			}
			if !strings.Contains(stdout, tc.want) {
				t.Errorf("ipfi %q printed %q, want it to contain %q", args, stdout, tc.want)
			}
		})
	}
}

// TestBenchConnsUsage: -conns must be at least 1 and at most -c.
func TestBenchConnsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "-conns", "0", "tcp://127.0.0.1:1", "0"},
		{"bench", "-c", "2", "-conns", "3", "tcp://127.0.0.1:1", "0"},
	} {
		if _, stderr, code := cli(t, args...); code != exitUsage || !strings.Contains(stderr, "-conns") {
			t.Errorf("ipfi %q: exit %d, stderr %q; want 2 and a word on -conns", args, code, stderr)
		}
	}
}
