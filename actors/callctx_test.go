package actors

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// refCallContext is what a callContext stands for, made at once: the
// procedure's context as the standard library makes it, and its end.
func refCallContext(parent context.Context, d time.Duration) (context.Context, func(error)) {
	ctx, cancel := context.WithCancelCause(parent)
	if d < 0 {
		return ctx, cancel
	}
	dctx, stop := context.WithTimeout(ctx, d)
	return dctx, func(cause error) { cancel(cause); stop() }
}

// waitDeadline blocks until the deadline d from start has passed.
func waitDeadline(start time.Time, d time.Duration) {
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(d))
	defer cancel()
	<-ctx.Done()
}

type ctxKey struct{}

// TestCallContextActsAsTheStandardOne: whatever happens first (the
// procedure looking at its context, the call's end, the deadline), a
// callContext reports what the standard contexts it stands for report:
// Deadline, Err, Cause, Done, values, and what a child of it sees.
func TestCallContextActsAsTheStandardOne(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "wire")
	cause := errors.New("the call ended")
	const short = 20 * time.Millisecond
	cases := []struct {
		name string
		d    time.Duration
		// steps run on both contexts in turn; "look" makes the lazy one's
		// standard contexts, "end" ends both, "deadline" waits for it.
		steps []string
	}{
		{"untouched", -1, nil},
		{"looked at", -1, []string{"look"}},
		{"ended before a look", -1, []string{"end", "look"}},
		{"ended after a look", -1, []string{"look", "end"}},
		{"ended with nil", -1, []string{"endnil"}},
		{"far deadline", time.Hour, []string{"look"}},
		{"far deadline, ended", time.Hour, []string{"end"}},
		{"deadline passed before a look", short, []string{"deadline", "look"}},
		{"deadline passed while looked at", short, []string{"look", "deadline"}},
		{"deadline passed, then ended", short, []string{"deadline", "end"}},
		{"ended, then deadline passed", short, []string{"end", "deadline", "look"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			lazy := newCallContext(parent, tc.d)
			ref, refEnd := refCallContext(parent, tc.d)
			defer refEnd(nil)
			defer lazy.end(nil)
			for _, step := range tc.steps {
				runCallContextStep(step, start, tc.d, lazy, ref, refEnd, cause)
			}
			checkCallContextLike(t, lazy, ref)
		})
	}
}

// runCallContextStep applies one step of TestCallContextActsAsTheStandardOne
// to both contexts.
func runCallContextStep(step string, start time.Time, d time.Duration, lazy *callContext, ref context.Context, refEnd func(error), cause error) {
	switch step {
	case "look":
		_ = lazy.Done()
	case "end":
		lazy.end(cause)
		refEnd(cause)
	case "endnil":
		lazy.end(nil)
		refEnd(nil)
	case "deadline":
		// Past the deadline, both timers fire (or have, or the contexts
		// ended before): wait for what will close.
		waitDeadline(start, d)
		<-ref.Done()
		if lazy.made.Load() {
			<-lazy.Done()
		}
	}
}

// checkCallContextLike compares lazy with ref, and a child of each.
func checkCallContextLike(t *testing.T, lazy *callContext, ref context.Context) {
	t.Helper()
	ld, lok := lazy.Deadline()
	rd, rok := ref.Deadline()
	if lok != rok || ld.Sub(rd).Abs() > 50*time.Millisecond {
		t.Errorf("Deadline = %v, %v; the standard one's %v, %v", ld, lok, rd, rok)
	}
	if got, want := lazy.Value(ctxKey{}), ref.Value(ctxKey{}); got != want {
		t.Errorf("Value = %v, want %v", got, want)
	}
	if lazy.Value(struct{ x int }{}) != nil {
		t.Error("Value of a missing key is not nil")
	}
	if got, want := lazy.Err(), ref.Err(); got != want {
		t.Errorf("Err = %v, the standard one's %v", got, want)
	}
	if got, want := context.Cause(lazy), context.Cause(ref); got != want {
		t.Errorf("Cause = %v, the standard one's %v", got, want)
	}
	select {
	case <-lazy.Done():
		if lazy.Err() == nil {
			t.Error("Done is closed and Err is nil")
		}
	default:
		if lazy.Err() != nil {
			t.Error("Err is set and Done is open")
		}
	}
	child, cancel := context.WithCancel(lazy)
	defer cancel()
	refChild, refCancel := context.WithCancel(ref)
	defer refCancel()
	if got, want := child.Err(), refChild.Err(); got != want {
		t.Errorf("a child's Err = %v, the standard one's %v", got, want)
	}
	if got, want := context.Cause(child), context.Cause(refChild); got != want {
		t.Errorf("a child's Cause = %v, the standard one's %v", got, want)
	}
}

// TestCallContextEndReachesChildren: a child made of the context (and an
// AfterFunc on it) ends when the call ends, with the call's cause, and a
// deadline ends a context that is looked at.
func TestCallContextEndReachesChildren(t *testing.T) {
	cause := errors.New("the wire ended")
	c := newCallContext(context.Background(), -1)
	child, cancel := context.WithCancel(c)
	defer cancel()
	ran := make(chan struct{})
	stop := context.AfterFunc(c, func() { close(ran) })
	defer stop()
	c.end(cause)
	<-child.Done()
	<-ran
	if got := context.Cause(child); got != cause {
		t.Errorf("the child's cause = %v, want %v", got, cause)
	}
	if !errors.Is(child.Err(), context.Canceled) {
		t.Errorf("the child's Err = %v, want Canceled", child.Err())
	}

	d := newCallContext(context.Background(), time.Millisecond)
	defer d.end(nil)
	<-d.Done()
	if d.Err() != context.DeadlineExceeded || context.Cause(d) != context.DeadlineExceeded {
		t.Errorf("after the deadline Err = %v, Cause = %v; want DeadlineExceeded", d.Err(), context.Cause(d))
	}
}

// TestCallContextConcurrentUse: the context is looked at from several
// goroutines while the call ends (for the race detector), and all of them
// see it end with the first cause.
func TestCallContextConcurrentUse(t *testing.T) {
	first, second := errors.New("first"), errors.New("second")
	for range 200 {
		c := newCallContext(context.Background(), time.Hour)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-c.Done()
				if got := context.Cause(c); got != first {
					t.Errorf("cause = %v, want %v", got, first)
				}
			}()
		}
		c.end(first)
		c.end(second)
		wg.Wait()
	}
}

// BenchmarkCallContext is what an ordinary procedure's context costs per
// call with a deadline: the standard contexts made at once ("standard"),
// and a callContext made and ended without a look ("unused", a procedure
// that never looks at it) or looked at ("used", its standard contexts
// made).
func BenchmarkCallContext(b *testing.B) {
	parent := context.WithValue(context.Background(), ctxKey{}, 1)
	cause := errors.New("bench: call ended")
	b.Run("standard", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				ctx, end := refCallContext(parent, time.Hour)
				_ = ctx.Done()
				end(cause)
			}
		})
	})
	for _, used := range []bool{false, true} {
		name := "unused"
		if used {
			name = "used"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c := newCallContext(parent, time.Hour)
					if used {
						_ = c.Done()
					}
					c.end(cause)
				}
			})
		})
	}
}
