package tests

import (
	"context"
	"errors"
	"io"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi/procedures"
)

// TestBidiAnsweredBeforeInputEndsRunsOnce: a bidirectional procedure that
// returns after its first value, while its caller's input is still open,
// runs once. The caller then ends its input (CloseSend) and makes another
// call: the end of the input must not reach the callee as a new call on the
// same (procedure, call) pair, which would run the procedure a second time
// with no input. Both ways of returning are tried: a result, and an error
// (an early answer, wire/PROTOCOL.md "Version 2").
func TestBidiAnsweredBeforeInputEndsRunsOnce(t *testing.T) {
	for _, fail := range []bool{false, true} {
		name := "result"
		if fail {
			name = "error"
		}
		t.Run(name, func(t *testing.T) {
			a, b := newInterface(t), newInterface(t)
			proc := &bidiEarlyProcedure{fail: fail, again: make(chan struct{})}
			must(t, b.Register(1, procedures.Bidi(proc.run)))
			must(t, b.Register(2, procedures.Func0(func(context.Context) (int, error) { return 1, nil })))
			wa, _ := connect(t, tcp, a, b)
			ctx := bounded(t, 20*time.Second)

			s, err := wa.Open(ctx, 1)
			must(t, err)
			defer s.Close()
			must(t, s.Send(7))
			var v int
			if !fail {
				if err := s.Recv(&v); err != nil {
					t.Fatalf("Recv: %v", err)
				}
			}
			if err := s.Recv(&v); (err == io.EOF) == fail {
				t.Fatalf("Recv at the end: %v (the procedure failed: %v)", err, fail)
			}
			_ = s.CloseSend()
			var one int
			must(t, wa.Call(ctx, 2, &one))
			// A second run would have been routed before procedure 2's call:
			// it starts at once, or not at all.
			select {
			case <-proc.again:
				t.Fatal("the procedure ran again: the end of its input reached the callee as a new call")
			case <-time.After(500 * time.Millisecond):
			}
		})
	}
}

// bidiEarlyProcedure is the procedure of
// TestBidiAnsweredBeforeInputEndsRunsOnce: its first run returns after its
// first input value, with that value or (fail) with an error; any later
// run closes again.
type bidiEarlyProcedure struct {
	fail  bool
	runs  atomic.Int32
	again chan struct{}
}

func (p *bidiEarlyProcedure) run(ctx context.Context, in iter.Seq2[int, error], yield func(int) error) error {
	if p.runs.Add(1) > 1 {
		close(p.again)
		return nil
	}
	for v, err := range in {
		if err != nil {
			return err
		}
		if p.fail {
			return errors.New("enough")
		}
		return yield(v)
	}
	return nil
}
