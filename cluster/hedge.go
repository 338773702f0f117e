package cluster

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// Hedge configures hedged calls: an idempotent call that has not answered
// past a percentile of the client's recent call latencies is sent a
// second time, to another member; the first answer wins and the other
// attempt is cancelled. It trades a little more load for a shorter tail: a
// member that is slow, not down, no longer holds the calls sent to it.
// Only Call hedges (not streams), only for a reply that is a non-nil
// pointer (or nil), and only once 20 calls have been timed.
type Hedge struct {
	// Percentile, in (0, 1), of the latencies of the last 1,000 successful
	// calls past which a call is sent again: 0.95 hedges about one call in
	// twenty. Zero turns hedging off.
	Percentile float64
	// Min is the least wait before a hedge, however fast calls are.
	// Default 0.
	Min time.Duration
}

// hedged makes an idempotent call as Hedge says, and reports false (having
// done nothing) when it cannot hedge it: too few calls timed yet, or a
// reply that is not a pointer.
func (c *Client) hedged(ctx context.Context, proc procedures.Index, reply any, args []any) (bool, error) {
	delay, ok := c.latency.percentile(c.cfg.Hedge.Percentile)
	rv := reflect.ValueOf(reply)
	if !ok || (reply != nil && (rv.Kind() != reflect.Pointer || rv.IsNil())) {
		return false, nil
	}
	delay = max(delay, c.cfg.Hedge.Min)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the losing attempt returns once its call is cancelled
	type result struct {
		target reflect.Value
		err    error
	}
	results := make(chan result, 2)
	tried := &triedSet{}
	launch := func() {
		target := reflect.Value{}
		var into any
		if reply != nil {
			target = reflect.New(rv.Type().Elem())
			into = target.Interface()
		}
		go func() {
			err := c.attempt(ctx, true, tried, func(ctx context.Context, w *ipfi.Wire) error { return w.Call(ctx, proc, into, args...) })
			results <- result{target, err}
		}()
	}
	start := time.Now()
	launch()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	pending, hedged := 1, false
	var firstErr error
	for {
		select {
		case <-timer.C:
			if !hedged {
				hedged = true
				pending++
				c.hedges.Add(1)
				launch()
			}
		case r := <-results:
			pending--
			if r.err == nil {
				if reply != nil {
					rv.Elem().Set(r.target.Elem())
				}
				c.latency.add(time.Since(start))
				return true, nil
			}
			if firstErr == nil {
				firstErr = r.err
			}
			if pending == 0 { // both failed, or the first before its hedge was due
				return true, firstErr
			}
		}
	}
}

// triedSet is the members a call was made on, shared by its attempt and
// its hedge.
type triedSet struct {
	mu sync.Mutex
	ms []*member
}

func (t *triedSet) add(m *member) {
	t.mu.Lock()
	t.ms = append(t.ms, m)
	t.mu.Unlock()
}

// list returns the members tried so far.
func (t *triedSet) list() []*member {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.ms)
}

// latencies keeps the last 1,000 successful calls' latencies, and the
// last percentile computed from them.
type latencies struct {
	mu    sync.Mutex
	ring  [1000]time.Duration
	n     int // samples recorded, up to len(ring)
	next  int
	added int // samples added since the percentile was computed
	p     float64
	value time.Duration
}

// recompute is how many samples may arrive before the percentile is
// computed again (a sort of up to 1,000).
const recompute = 50

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.ring[l.next] = d
	l.next = (l.next + 1) % len(l.ring)
	l.n = min(l.n+1, len(l.ring))
	l.added++
	l.mu.Unlock()
}

// percentile returns the p-th percentile of the samples (computed again
// every recompute samples), false with fewer than 20.
func (l *latencies) percentile(p float64) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n < 20 {
		return 0, false
	}
	if l.p != p || l.added >= recompute || l.value == 0 {
		s := slices.Clone(l.ring[:l.n])
		slices.Sort(s)
		l.p, l.added, l.value = p, 0, s[min(int(p*float64(len(s))), len(s)-1)]
	}
	return l.value, true
}
