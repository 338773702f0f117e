package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// With n = 8 peers, branching 2 (0: 1 2; 1: 3 4; 2: 5 6; 3: 7), each
// request is 8 calls: the entry's to the root and 7 fan-out calls. With a
// peer killed after 5 of the 10 requests, each of the 5 later requests has
// one affected call, the one to the killed peer, and makes no call into its
// subtree.
func TestTree(t *testing.T) {
	const n, calls, after = 8, 10, 5
	for _, tc := range []struct {
		name string
		args []string
		// made is how many calls each later request makes; subtree the size
		// of the killed peer's subtree, missing from every later answer.
		made, subtree int
	}{
		{"pipe", nil, n, 0},
		{"tcp", []string{"-tcp"}, n, 0},
		// Peer 2's subtree is 2, 5, 6: the call 0 → 2 fails, 2 → 5 and
		// 2 → 6 are never made.
		{"kill inner", []string{"-kill", "2"}, n - 2, 3},
		// Peer 7 is a leaf: only the call 3 → 7 fails.
		{"kill leaf over tcp", []string{"-tcp", "-kill", "7"}, n, 1},
		// The root: the entry's call fails; nothing else is made.
		{"kill root", []string{"-kill", "0"}, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := run(ctx, append([]string{"-n", "8", "-calls", "10"}, tc.args...), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			affected := 0
			if tc.made != n || tc.subtree > 0 {
				affected = after // one call per later request
			}
			if err := s.Expect((calls-after)*n+after*tc.made, affected, false); err != nil {
				t.Error(err)
			}
			for _, e := range s.Errors {
				if !errors.Is(e.Sample, ipfi.ErrPeerTerminated) {
					t.Errorf("error %v: want ErrWireTerminated, cause ErrPeerTerminated", e.Sample)
				}
			}
			partial := 0
			if tc.subtree > 0 {
				partial = after
			}
			if got, want := [3]int{s.Stat(statPartial), s.Stat(statMissing), s.Stat(statErrors)},
				[3]int{partial, after * tc.subtree, partial}; got != want {
				t.Errorf("partial requests, missing answers, error answers: %v, want %v", got, want)
			}
		})
	}
}

// -depth sets the number of peers to a full tree's.
func TestTreeDepth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := run(ctx, []string{"-depth", "2", "-branch", "3", "-calls", "2"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Expect(2*13, 0, false); err != nil || s.Peers != 13 {
		t.Errorf("%d peers, want 13; %v", s.Peers, err)
	}
}

func TestSubtree(t *testing.T) {
	tr := tree{8, 2}
	for i, want := range []int{8, 4, 3, 2, 1, 1, 1, 1} {
		if got := tr.subtree(i); got != want {
			t.Errorf("subtree(%d) = %d, want %d", i, got, want)
		}
	}
	if !tr.inSubtree(7, 1) || !tr.inSubtree(6, 2) || tr.inSubtree(6, 1) || !tr.inSubtree(3, 3) {
		t.Error("inSubtree wrong")
	}
}
