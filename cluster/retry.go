package cluster

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ipfi-go/ipfi"
)

// Retry says how a Client makes a call again on another member. A call is
// made again only if it is marked idempotent (ipfi.WithIdempotent, or a
// descriptor's Idempotent field) and failed in a way that leaves unknown
// whether it ran (its wire ended: ipfi.ErrWireTerminated), or if it was
// refused before it ran (ipfi.ErrShutdown, or a limit of the member's that
// refused it on arrival), whatever its mark. It is never made again on a
// member it was already made on, never after its context ends, and never
// past the budget. A zero field means its default.
type Retry struct {
	// Attempts is how many times a call is made at most, the first
	// included. Default 3; 1 turns retries off.
	Attempts int
	// Backoff is the wait before the first retry, doubled before each
	// next one up to MaxBackoff, each wait drawn at random between half
	// of it and all of it (jitter). Default 10 ms.
	Backoff time.Duration
	// MaxBackoff bounds the wait. Default 500 ms.
	MaxBackoff time.Duration
	// Budget bounds retries across all calls, so that they cannot
	// multiply the load in an outage. Default: NewBudget(10, 0.1).
	Budget *Budget
}

// withDefaults returns r with its zero fields set.
func (r Retry) withDefaults() Retry {
	if r.Attempts == 0 {
		r.Attempts = 3
	}
	if r.Backoff == 0 {
		r.Backoff = 10 * time.Millisecond
	}
	if r.MaxBackoff == 0 {
		r.MaxBackoff = 500 * time.Millisecond
	}
	if r.MaxBackoff < r.Backoff {
		r.MaxBackoff = r.Backoff
	}
	if r.Budget == nil {
		r.Budget = NewBudget(10, 0.1)
	}
	return r
}

// wait sleeps before retry n (1 for the first) within ctx; false if ctx
// ended first.
func (r Retry) wait(ctx context.Context, n int) bool {
	d := r.Backoff
	for i := 1; i < n && d < r.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.MaxBackoff)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Budget is a retry budget shared by calls, as gRPC's retry throttling: it
// holds tokens, up to a maximum; every failed call takes one, every
// successful call gives back a fraction, and a retry is allowed only while
// more than half the maximum is left. In an outage, when most calls fail,
// retries stop after a few; they resume as calls succeed again. Safe for
// concurrent use.
type Budget struct {
	mu     sync.Mutex
	tokens float64
	max    float64
	ratio  float64
}

// NewBudget returns a full budget of max tokens that gains ratio tokens per
// successful call (gRPC's maxTokens and tokenRatio).
func NewBudget(max, ratio float64) *Budget {
	return &Budget{tokens: max, max: max, ratio: ratio}
}

// succeeded records a successful call.
func (b *Budget) succeeded() {
	b.mu.Lock()
	b.tokens = min(b.max, b.tokens+b.ratio)
	b.mu.Unlock()
}

// failed records a failed attempt and reports whether a retry is allowed.
func (b *Budget) failed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = max(0, b.tokens-1)
	return b.tokens > b.max/2
}

// Tokens returns the tokens left, for a program's metrics.
func (b *Budget) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}

// refusedBeforeRun reports whether err says the call was refused before
// its procedure ran: safe to make again elsewhere, idempotent or not.
func refusedBeforeRun(err error) bool {
	if errors.Is(err, ipfi.ErrShutdown) {
		return true
	}
	var re *ipfi.RemoteError
	return errors.As(err, &re) && errors.Is(err, ipfi.ErrLimit)
}

// retryable reports whether a call that failed with err may be made again
// on another member; idempotent: whether it may run more than once.
func retryable(ctx context.Context, err error, idempotent bool) bool {
	switch {
	case ctx.Err() != nil:
		return false
	case refusedBeforeRun(err), errors.Is(err, errNotUp):
		return true
	case idempotent:
		return errors.Is(err, ipfi.ErrWireTerminated) || errors.Is(err, errOutOfRotation)
	}
	return false
}
