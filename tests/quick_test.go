package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestQuickProcedures: a Quick procedure answers, fails with a remote
// error, and panics without ending its wire, on every transport (TCP uses
// the reader's non-blocking write, the others a flusher goroutine).
func TestQuickProcedures(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			callee, caller := newInterface(t), newInterface(t)
			must(t, callee.Register(1, procedures.Quick(procedures.Func2(func(_ context.Context, a, b string) (string, error) {
				return a + " " + b, nil
			}))))
			must(t, callee.Register(2, procedures.Quick(procedures.Func0(func(context.Context) (int, error) {
				return 0, errors.New("no such thing")
			}))))
			must(t, callee.Register(3, procedures.Quick(procedures.Func0(func(context.Context) (int, error) {
				panic("quick panic")
			}))))
			w, _ := connect(t, tr, caller, callee)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			got, err := ipfi.Call[string](ctx, w, 1, "John", "Doe")
			if err != nil || got != "John Doe" {
				t.Fatalf("quick call = %q, %v; want \"John Doe\"", got, err)
			}
			_, err = ipfi.Call[int](ctx, w, 2)
			var re *ipfi.RemoteError
			if !errors.As(err, &re) || re.Message != "no such thing" {
				t.Fatalf("quick error = %v, want a RemoteError \"no such thing\"", err)
			}
			_, err = ipfi.Call[int](ctx, w, 3)
			if !errors.As(err, &re) {
				t.Fatalf("quick panic = %v, want a RemoteError", err)
			}
			got, err = ipfi.Call[string](ctx, w, 1, "still", "here")
			if err != nil || got != "still here" {
				t.Fatalf("call after a quick panic = %q, %v", got, err)
			}
		})
	}
}

// TestQuickAnswersBothWaysDoNotDeadlock: both ends call each other's quick
// procedure, which answers 1 MiB, many times at once. The answers are
// written by the readers; a reader that blocked in Write while its peer's
// reader did the same would deadlock, so a reader never does: on TCP it
// writes what the socket takes without blocking and hands the rest to a
// flusher; on the synchronous net.Pipe it hands all of it over.
func TestQuickAnswersBothWaysDoNotDeadlock(t *testing.T) {
	const size, calls = 1 << 20, 16
	big := bytes.Repeat([]byte{'q'}, size)
	for _, tr := range []transport{tcp, pipe} {
		t.Run(string(tr), func(t *testing.T) {
			a, b := newInterface(t), newInterface(t)
			for _, i := range []*ipfi.Interface{a, b} {
				must(t, i.Register(1, procedures.Quick(procedures.Func0(func(context.Context) ([]byte, error) {
					return big, nil
				}))))
			}
			wa, wb := connect(t, tr, a, b)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			inParallel(t, 2*calls, func(i int) error {
				w := wa
				if i%2 == 1 {
					w = wb
				}
				got, err := ipfi.Call[[]byte](ctx, w, 1)
				if err == nil && len(got) != size {
					err = fmt.Errorf("answer of %d bytes, want %d", len(got), size)
				}
				return err
			})
		})
	}
}

// TestQuickRejectsStreams: only unary procedures can be quick.
func TestQuickRejectsStreams(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Quick of a sequence procedure did not panic")
		}
	}()
	procedures.Quick(procedures.Sequence0(func(context.Context, func(int) error) error { return nil }))
}
