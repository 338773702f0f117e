package tests

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestLongStreamsArriveWholeAndInOrder: streams of 100,000 small values,
// four at once on one wire so that their frames interleave within a read
// chunk, arrive complete and in order on every transport. A read chunk of a
// fast stream holds thousands of frames, collected in blocks and handed to
// the call actors in stretches; this checks nothing is lost, duplicated or
// reordered across those seams.
func TestLongStreamsArriveWholeAndInOrder(t *testing.T) {
	const n, streams = 100_000, 4
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			count := n
			if tr == oneByte {
				count = n / 50 // one byte per Read: keep it short
			}
			callee, caller := newInterface(t), newInterface(t)
			must(t, callee.Register(1, procedures.Sequence2(func(_ context.Context, from, k int, yield func(int) error) error {
				for i := range k {
					if err := yield(from + i); err != nil {
						return err
					}
				}
				return nil
			})))
			w, _ := connect(t, tr, caller, callee)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			errs := make(chan error, streams)
			for s := range streams {
				wg.Add(1)
				go func() {
					defer wg.Done()
					from, want := s*1_000_000, 0
					for v, err := range ipfi.Iter[int](ctx, w, 1, s*1_000_000, count) {
						if err == nil && v != from+want {
							err = fmt.Errorf("stream %d: value %d is %d, want %d", s, want, v, from+want)
						}
						if err != nil {
							errs <- err
							return
						}
						want++
					}
					if want != count {
						errs <- fmt.Errorf("stream %d: %d values, want %d", s, want, count)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		})
	}
}

// TestCollectedStreamKeepsEveryValue: a plain call to a sequence procedure
// collects every value of the response (arriving in runs) before it reports
// ErrStreamed with their count.
func TestCollectedStreamKeepsEveryValue(t *testing.T) {
	const n = 5000
	for _, tr := range []transport{tcp, pipe} {
		t.Run(string(tr), func(t *testing.T) {
			callee, caller := newInterface(t), newInterface(t)
			must(t, callee.Register(1, procedures.Sequence0(func(_ context.Context, yield func(int) error) error {
				for i := range n {
					if err := yield(i); err != nil {
						return err
					}
				}
				return nil
			})))
			w, _ := connect(t, tr, caller, callee)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := w.CallRaw(ctx, 1, nil)
			if want := fmt.Sprintf("of %d chunks", n); !errors.Is(err, ipfi.ErrStreamed) || !strings.Contains(err.Error(), want) {
				t.Fatalf("CallRaw = %v, want ErrStreamed %s", err, want)
			}
		})
	}
}
