package actors

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// callContext is the context of an ordinary procedure's call. It behaves
// as the standard contexts it stands for: a context cancelled with a cause
// by the call's actor (the call's end, a cancel from the caller, the wire's
// end), and under it, for a call with a deadline, a context with that
// deadline. Those are made the first time anything needs them (Done, Err,
// or a Value the wire's context does not hold, such as the one by which
// context.WithCancel, context.AfterFunc and context.Cause find a cancelable
// parent), and from then on every method is theirs. A procedure that never
// looks at its context costs one allocation instead of two contexts and a
// timer (BenchmarkCallContext); Deadline needs none of it.
//
// The call's actor ends it with end, on any goroutine. Made after an end,
// the standard contexts are ended as they would have been: with the end's
// cause, or with DeadlineExceeded if the deadline had passed before it.
type callContext struct {
	parent      context.Context // the wire's callCtx: values only, never done
	deadline    time.Time
	hasDeadline bool

	// made is set once the standard contexts are: std, cancel and stop
	// are written before it is (under mu) and never after.
	made   atomic.Bool
	std    context.Context         // the deadline's, or the cancelable one
	cancel context.CancelCauseFunc // the cancelable one's
	stop   context.CancelFunc      // the deadline's timer; nil without a deadline

	mu            sync.Mutex // guards making, cause and deadlineFirst
	cause         error      // the first end's cause while nothing was made
	deadlineFirst bool       // the deadline had passed when that end came
}

// newCallContext returns the context of a call made on parent's wire; d is
// the time left to the call's deadline, negative for none.
func newCallContext(parent context.Context, d time.Duration) *callContext {
	c := &callContext{parent: parent}
	if d >= 0 {
		c.deadline, c.hasDeadline = time.Now().Add(d), true
	}
	return c
}

func (c *callContext) Deadline() (time.Time, bool) { return c.deadline, c.hasDeadline }

func (c *callContext) Done() <-chan struct{} { return c.standard().Done() }

func (c *callContext) Err() error { return c.standard().Err() }

// Value returns the wire's values without making anything; any other key
// (a cancelable parent's lookup among them) goes to the standard contexts.
func (c *callContext) Value(key any) any {
	if v := c.parent.Value(key); v != nil {
		return v
	}
	return c.standard().Value(key)
}

func (c *callContext) String() string { return "ipfi call context" }

// standard returns the standard contexts' innermost, making them if
// nothing has yet.
func (c *callContext) standard() context.Context {
	if c.made.Load() {
		return c.std
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.made.Load() {
		return c.std
	}
	ctx, cancel := context.WithCancelCause(c.parent)
	c.std, c.cancel = ctx, cancel
	ended := c.cause != nil
	if ended && !c.deadlineFirst {
		cancel(c.cause) // the end came first: the deadline's context inherits it
	}
	if c.hasDeadline {
		c.std, c.stop = context.WithDeadline(ctx, c.deadline)
	}
	if ended {
		c.endMade(c.cause)
	}
	c.made.Store(true)
	return c.std
}

// end ends the context with cause (only the first cause counts, as with
// context.CancelCauseFunc) and stops the deadline's timer.
func (c *callContext) end(cause error) {
	if cause == nil {
		cause = context.Canceled
	}
	if c.made.Load() {
		c.endMade(cause)
		return
	}
	c.mu.Lock()
	made := c.made.Load()
	if !made && c.cause == nil {
		c.cause = cause
		c.deadlineFirst = c.hasDeadline && !time.Now().Before(c.deadline)
	}
	c.mu.Unlock()
	if made {
		c.endMade(cause)
	}
}

// endMade ends the standard contexts. Once they are made, or while making
// them (mu held).
func (c *callContext) endMade(cause error) {
	c.cancel(cause)
	if c.stop != nil {
		c.stop()
	}
}
