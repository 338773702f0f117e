package tests

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestCallsBothWaysConcurrently: each side calls the other 200 times at once
// over one wire, on every transport, including a procedure that calls back
// its own caller over the same wire while handling the call.
func TestCallsBothWaysConcurrently(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			a, b := newInterface(t), newInterface(t)
			must(t, a.Register(1, procedures.Func1(func(_ context.Context, n int) (string, error) {
				return fmt.Sprintf("a%d", n), nil
			})))
			must(t, b.Register(1, procedures.Func1(func(_ context.Context, n int) (string, error) {
				return fmt.Sprintf("b%d", n), nil
			})))
			// b's procedure 2 asks its caller (a) for a's answer first.
			must(t, b.Register(2, procedures.Func1(func(ctx context.Context, n int) (string, error) {
				back, err := ipfi.Call[string](ctx, ipfi.WireFrom(ctx), 1, n)
				if err != nil {
					return "", err
				}
				return "b(" + back + ")", nil
			})))
			wa, wb := connect(t, tr, a, b)
			ctx := bounded(t, 20*time.Second)

			const n = 200
			var wg sync.WaitGroup
			errs := make(chan error, 3*n)
			for i := range n {
				wg.Add(3)
				go func() {
					defer wg.Done()
					errs <- expect(ipfi.Call[string](ctx, wa, 1, i))(fmt.Sprintf("b%d", i))
				}()
				go func() {
					defer wg.Done()
					errs <- expect(ipfi.Call[string](ctx, wb, 1, i))(fmt.Sprintf("a%d", i))
				}()
				go func() {
					defer wg.Done()
					errs <- expect(ipfi.Call[string](ctx, wa, 2, i))(fmt.Sprintf("b(a%d)", i))
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestPanickingProcedureFailsOnlyItsCall: the caller of a panicking
// procedure gets an error; the next call on the same wire succeeds.
func TestPanickingProcedureFailsOnlyItsCall(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	must(t, b.Register(1, procedures.Func0(func(context.Context) (int, error) { panic("boom") })))
	must(t, b.Register(2, procedures.Func0(func(context.Context) (int, error) { return 7, nil })))
	must(t, b.Register(3, procedures.Func0(func(context.Context) (int, error) { return 0, errors.New("no") })))
	wa, _ := connect(t, tcp, a, b)
	ctx := bounded(t, 10*time.Second)

	for range 3 {
		if _, err := ipfi.Call[int](ctx, wa, 1); !errors.Is(err, ipfi.ErrRemote) {
			t.Fatalf("call to panicking procedure: err = %v, want ErrRemote", err)
		}
		if got, err := ipfi.Call[int](ctx, wa, 2); err != nil || got != 7 {
			t.Fatalf("next call: %v, %v; want 7", got, err)
		}
		if _, err := ipfi.Call[int](ctx, wa, 3); !errors.Is(err, ipfi.ErrRemote) {
			t.Fatalf("call to failing procedure: err = %v, want ErrRemote", err)
		}
		if _, err := ipfi.Call[int](ctx, wa, 99); !errors.Is(err, ipfi.ErrRemote) {
			t.Fatalf("call to unknown procedure: err = %v, want ErrRemote", err)
		}
	}
	if wa.Err() != nil {
		t.Fatalf("wire ended: %v", wa.Err())
	}
}

// TestCallerContextCancel: a caller whose context ends gets its cause at
// once; the wire and later calls are unaffected.
func TestCallerContextCancel(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	release := make(chan struct{})
	must(t, b.Register(1, procedures.Func0(func(ctx context.Context) (int, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return 1, nil
	})))
	wa, _ := connect(t, tcp, a, b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := ipfi.Call[int](ctx, wa, 1); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	close(release)
	if got, err := ipfi.Call[int](bounded(t, 5*time.Second), wa, 1); err != nil || got != 1 {
		t.Fatalf("later call: %v, %v", got, err)
	}
}

// TestCalleeOnly: a callee-only wire serves calls and refuses to make any.
func TestCalleeOnly(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	must(t, b.Register(1, procedures.Func0(func(context.Context) (int, error) { return 5, nil })))
	ca, cb := tcpPair(t)
	wa, err := a.Connect(ca, ca)
	must(t, err)
	wb, err := b.Connect(cb, cb, ipfi.WithCalleeOnly())
	must(t, err)
	if got, err := ipfi.Call[int](bounded(t, 5*time.Second), wa, 1); err != nil || got != 5 {
		t.Fatalf("call to callee-only side: %v, %v", got, err)
	}
	if _, err := ipfi.Call[int](context.Background(), wb, 1); !errors.Is(err, ipfi.ErrCalleeOnly) {
		t.Fatalf("call from callee-only side: err = %v", err)
	}
}

// TestInterfaceCloseWaitsForProcedures: Close cancels running procedures
// and returns only after they have returned.
func TestInterfaceCloseWaitsForProcedures(t *testing.T) {
	a, b := mustNew(t), mustNew(t)
	defer a.Close()
	started := make(chan struct{})
	var returned bool
	var mu sync.Mutex
	must(t, b.Register(1, procedures.Func0(func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond) // a procedure slow to notice; Close must still wait
		mu.Lock()
		returned = true
		mu.Unlock()
		return 0, nil
	})))
	wa, _ := connect(t, tcp, a, b)
	go ipfi.Call[int](context.Background(), wa, 1)
	<-started
	must(t, b.Close())
	mu.Lock()
	defer mu.Unlock()
	if !returned {
		t.Fatal("Close returned before the procedure did")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// expect turns (got, err) into an error unless got equals want.
func expect[T comparable](got T, err error) func(want T) error {
	return func(want T) error {
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("got %v, want %v", got, want)
		}
		return nil
	}
}
