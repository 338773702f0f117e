package main

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"
)

// TestDescriptors: what ipfi serve serves answers a Go program that calls
// it through the descriptors the CLI declares.
func TestDescriptors(t *testing.T) {
	a, err := parseAddr(serve(t, "tcp://127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iface, w, err := connect(ctx, a, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer iface.Close()
	if n, err := procConstant.Call(ctx, w); n != 42 || err != nil {
		t.Errorf("constant: %d, %v; want 42", n, err)
	}
	if s, err := procGreeting.Call(ctx, w, "John", "Doe"); s != "Hello, John Doe!" || err != nil {
		t.Errorf("greeting: %q, %v", s, err)
	}
	if seq, err := procSequence.Collect(ctx, w, 3); !slices.Equal(seq, []int{0, 1, 2}) || err != nil {
		t.Errorf("sequence: %v, %v; want [0 1 2]", seq, err)
	}
	if ms, err := procSleep.Call(ctx, w, 1); ms != 1 || err != nil {
		t.Errorf("sleep: %d, %v; want 1", ms, err)
	}
}
