package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/topology/topo"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runRing runs the example with n = 8 peers, 10 calls, and args.
func runRing(t *testing.T, args ...string) topo.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := run(ctx, append([]string{"-n", "8", "-calls", "10", "-conc", "3"}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRing(t *testing.T) {
	for _, args := range [][]string{nil, {"-tcp"}} {
		if err := runRing(t, args...).Expect(10, 0, false); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
}

// Every call passes every peer: with a peer killed after 5 calls, the 5
// later calls fail. With peer 3 killed they fail at peer 2, which reports
// its call's failure back as an application error.
func TestRingKill(t *testing.T) {
	s := runRing(t, "-kill", "3")
	if err := s.Expect(10, 5, true); err != nil {
		t.Error(err)
	}
	if len(s.Errors) != 1 {
		t.Fatalf("errors: %+v, want one kind", s.Errors)
	}
	// The message is text that crossed the ring: it names the errors in
	// words, with or without their package prefix.
	words := func(err error) string { return strings.TrimPrefix(err.Error(), "ipfi: ") }
	var app *ipfi.Error
	if e := s.Errors[0].Sample; !errors.As(e, &app) || app.Code != CodeHop ||
		!strings.Contains(app.Message, "peer 2 → peer 3") ||
		!strings.Contains(app.Message, words(ipfi.ErrWireTerminated)) ||
		!strings.Contains(app.Message, words(ipfi.ErrPeerTerminated)) {
		t.Errorf("error %v: want an application error %d naming hop 2 → 3, ErrWireTerminated and ErrPeerTerminated", e, CodeHop)
	}
}

// With the ring's first peer killed, the later calls fail at the entry.
func TestRingKillFirst(t *testing.T) {
	s := runRing(t, "-kill", "0")
	if err := s.Expect(10, 5, false); err != nil {
		t.Error(err)
	}
	for _, e := range s.Errors {
		if !errors.Is(e.Sample, ipfi.ErrPeerTerminated) {
			t.Errorf("error %v: want ErrWireTerminated, cause ErrPeerTerminated", e.Sample)
		}
	}
}
