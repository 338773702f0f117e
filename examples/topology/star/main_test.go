package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/topology/topo"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runStar runs the example with args and fails the test on a run error.
func runStar(t *testing.T, args ...string) topo.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := run(ctx, args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// countCauses returns how many failures end with a wire closed here
// (ipfi.ErrClosed) and with one the peer terminated.
func countCauses(s topo.Summary) (closed, peerTerminated int) {
	for _, e := range s.Errors {
		switch {
		case errors.Is(e.Sample, ipfi.ErrClosed):
			closed += e.Count
		case errors.Is(e.Sample, ipfi.ErrPeerTerminated):
			peerTerminated += e.Count
		}
	}
	return closed, peerTerminated
}

// With n = 8 peers (hub and 7 clients) and 4 calls each way per client, 56
// calls are made; with a kill, the last 2 calls of each caller involved
// come after it.
func TestStar(t *testing.T) {
	const clients, calls, after = 7, 4, 2
	for _, tc := range []struct {
		name     string
		args     []string
		affected int
	}{
		{"pipe", nil, 0},
		{"tcp", []string{"-tcp"}, 0},
		// Client 3's 2 later calls to the hub, the hub's 2 later calls to it.
		{"kill client", []string{"-kill", "3"}, 2 * after},
		{"kill client over tcp", []string{"-tcp", "-kill", "3"}, 2 * after},
		// Every caller's 2 later calls.
		{"kill hub", []string{"-kill", "0"}, 2 * clients * after},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := runStar(t, append([]string{"-n", "8", "-calls", "4"}, tc.args...)...)
			if err := s.Expect(2*clients*calls, tc.affected, false); err != nil {
				t.Error(err)
			}
			// Half of the failures are the dead peer's own calls (its wires
			// closed), half the calls to it (the peer terminated the wire).
			if closed, term := countCauses(s); closed != tc.affected/2 || term != tc.affected/2 {
				t.Errorf("causes: %d closed, %d peer terminated; want %d each", closed, term, tc.affected/2)
			}
		})
	}
}

func TestStarFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "1"}, {"-kill", "8"}, {"-calls", "0"}, {"extra"}} {
		if _, err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
