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

// With n = 8 peers and 4 calls per ordered pair, 8·7·4 = 224 calls are made;
// with peer k killed after 2 rounds, the affected calls are its 7 callers'
// and its own to 7 peers in each of the 2 later rounds: 28.
func TestMesh(t *testing.T) {
	const n, calls, after = 8, 4, 2
	for _, tc := range []struct {
		name     string
		args     []string
		affected int
	}{
		{"pipe", nil, 0},
		{"tcp", []string{"-tcp"}, 0},
		{"kill", []string{"-kill", "3"}, 2 * (n - 1) * after},
		{"kill over tcp", []string{"-tcp", "-kill", "0"}, 2 * (n - 1) * after},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := run(ctx, append([]string{"-n", "8", "-calls", "4"}, tc.args...), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Expect(n*(n-1)*calls, tc.affected, false); err != nil {
				t.Error(err)
			}
			closed, term := 0, 0
			for _, e := range s.Errors {
				switch {
				case errors.Is(e.Sample, ipfi.ErrClosed):
					closed += e.Count
				case errors.Is(e.Sample, ipfi.ErrPeerTerminated):
					term += e.Count
				}
			}
			if closed != tc.affected/2 || term != tc.affected/2 {
				t.Errorf("causes: %d closed, %d peer terminated; want %d each", closed, term, tc.affected/2)
			}
		})
	}
}
