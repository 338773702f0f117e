package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/supervision"
)

// ErrNoMember is the error of a call made while no member is up, healthy
// and untried, when its context ends: it wraps the context's cause.
var ErrNoMember = errors.New("cluster: no member to call")

// errNotUp: the member picked went down before the call could be made on
// it (the call was not sent).
var errNotUp = errors.New("cluster: the member's wire is down")

// ClientConfig configures a Client. Interface and Resolver are required; a
// zero field otherwise means its default.
type ClientConfig struct {
	// Interface is the client's interface: the wires to the members are
	// its, and its procedures serve the members' calls back.
	Interface *ipfi.Interface
	// Resolver reports the service's members.
	Resolver Resolver
	// Dial makes a wire to a member. Default: Interface.Dial(ctx,
	// m.Network, m.Addr, DialOptions...). The client labels each wire with
	// its member's ID (Wire.SetLabel) unless Dial has labelled it: its
	// logs name the member, and with ipfiotel.WithPeerLabels on the
	// Interface the metrics and spans of calls count them per member.
	Dial func(ctx context.Context, m Member) (*ipfi.Wire, error)
	// DialOptions are the default Dial's wire options, such as
	// ipfi.WithTLS.
	DialOptions []ipfi.Option
	// Restart is the policy a lost wire is dialled again under
	// (Interface.Supervise). Default: supervision.Restart's defaults but
	// no limit on restarts (MaxRestarts -1): a member is dialled until the
	// resolver drops it.
	Restart supervision.Restart
	// Balancer picks each call's member. Default: RoundRobin().
	Balancer Balancer
	// Prefer, if set, chooses a subset of members (the same zone: a tag's
	// value) that calls go to while any of it is up and healthy; the
	// others take calls only when none is.
	Prefer func(Member) bool
	// Retry says which calls are made again on another member, and how.
	Retry Retry
	// Hedge sends slow idempotent calls a second time, to another
	// member. Default: off.
	Hedge Hedge
	// Health pings each member's wire to take a member that stops
	// answering out of rotation before its wire or the membership says
	// it is gone.
	Health Health
	// Logger receives the client's log: members dialled, lost, taken out
	// of and back into rotation. Nil logs nothing.
	Logger *slog.Logger
}

// Client calls a service's members: it keeps one wire per member the
// resolver reports (made as the member appears, dialled again with
// backoff while it is lost, closed as the resolver drops it), spreads calls
// over the members that are up and healthy, and makes again, on another
// member, the calls that may be made again (Retry). It is an ipfi.Caller:
// ipfi.Call, Iter, Collect and the descriptors take it as they take a
// *ipfi.Wire. Streams (Stream, Open) go to one member and are made again
// only when refused before they ran. Its methods are safe for concurrent
// use.
type Client struct {
	cfg    ClientConfig
	stop   context.CancelFunc
	done   chan struct{} // closed as the resolver's Watch returns
	werr   error         // what Watch returned, once done is closed
	logger *slog.Logger

	calls   atomic.Int64 // calls and streams made (first attempts)
	retries atomic.Int64 // attempts after the first
	hedges  atomic.Int64 // calls sent a second time (Hedge)
	latency latencies    // of the recent successful calls, for Hedge

	mu      sync.Mutex
	members map[string]*member // by Member.ID
	list    []*member          // the members, for picking (replaced, never modified)
	changed chan struct{}      // closed and replaced when a member's state changes
	closed  bool
}

var _ ipfi.Caller = (*Client)(nil)

// NewClient returns a Client for cfg and starts watching its resolver. It
// does not wait for members: a call waits, within its context, for a member
// to be up.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Interface == nil || cfg.Resolver == nil {
		return nil, fmt.Errorf("%w: a Client needs an Interface and a Resolver", ErrInvalidConfig)
	}
	if cfg.Restart == (supervision.Restart{}) {
		cfg.Restart.MaxRestarts = -1
	}
	if err := cfg.Restart.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if cfg.Balancer == nil {
		cfg.Balancer = RoundRobin()
	}
	if cfg.Dial == nil {
		i, opts := cfg.Interface, cfg.DialOptions
		cfg.Dial = func(ctx context.Context, m Member) (*ipfi.Wire, error) {
			return i.Dial(ctx, m.Network, m.Addr, opts...)
		}
	}
	cfg.Retry = cfg.Retry.withDefaults()
	if cfg.Hedge.Percentile < 0 || cfg.Hedge.Percentile >= 1 || cfg.Hedge.Min < 0 {
		return nil, fmt.Errorf("%w: Hedge.Percentile is %v and Hedge.Min %v; want a percentile in [0, 1) and a Min of 0 or more", ErrInvalidConfig, cfg.Hedge.Percentile, cfg.Hedge.Min)
	}
	cfg.Health = cfg.Health.withDefaults()
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(discard{})
	}
	ctx, stop := context.WithCancel(context.Background())
	c := &Client{cfg: cfg, stop: stop, done: make(chan struct{}), logger: logger, members: map[string]*member{}, changed: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.werr = cfg.Resolver.Watch(ctx, c.update)
	}()
	return c, nil
}

// Close stops watching the resolver and closes every member's wire; calls
// in progress on them fail with ipfi.ErrWireTerminated, later calls with
// ipfi.ErrClosed. It returns once the client's goroutines have ended, with
// the resolver's error if it failed on its own.
func (c *Client) Close() error {
	c.stop()
	<-c.done
	c.mu.Lock()
	c.closed = true
	ms := c.list
	c.members, c.list = map[string]*member{}, nil
	c.poke()
	c.mu.Unlock()
	for _, m := range ms {
		m.close()
	}
	if c.werr != nil && !errors.Is(c.werr, context.Canceled) {
		return c.werr
	}
	return nil
}

// Members returns the members the client knows, up or not.
func (c *Client) Members() []Member {
	c.mu.Lock()
	defer c.mu.Unlock()
	ms := make([]Member, 0, len(c.list))
	for _, m := range c.list {
		ms = append(ms, m.m)
	}
	return sortMembers(ms)
}

// Available returns the members that take calls now: their wire is up
// and their health checks answer.
func (c *Client) Available() []Member {
	c.mu.Lock()
	list := c.list
	c.mu.Unlock()
	var ms []Member
	for _, m := range list {
		if m.ready() {
			ms = append(ms, m.m)
		}
	}
	return sortMembers(ms)
}

// Stats are a Client's counts since it was made.
type Stats struct {
	Calls   int64 // calls, streams and bidirectional streams made
	Retries int64 // attempts made again on another member
	Hedges  int64 // calls sent a second time (Hedge)
}

// Stats returns the client's counts.
func (c *Client) Stats() Stats {
	return Stats{Calls: c.calls.Load(), Retries: c.retries.Load(), Hedges: c.hedges.Load()}
}

// update is the resolver's report: members that appeared are dialled, those
// gone closed, those changed (address, tags) replaced.
func (c *Client) update(ms []Member) {
	seen := make(map[string]bool, len(ms))
	var gone []*member
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	for _, m := range ms {
		seen[m.ID] = true
		old := c.members[m.ID]
		if old != nil && old.m.Equal(m) {
			continue
		}
		if old != nil {
			gone = append(gone, old)
		}
		nm, err := c.startMember(m)
		if err != nil {
			c.logger.Warn("cluster: cannot keep a wire to a member", "member", m.ID, "err", err)
			delete(c.members, m.ID)
			continue
		}
		c.members[m.ID] = nm
		c.logger.Info("cluster: member", "member", m.ID, "addr", m.Addr)
	}
	for id, m := range c.members {
		if !seen[id] {
			gone = append(gone, m)
			delete(c.members, id)
			c.logger.Info("cluster: member gone", "member", id)
		}
	}
	c.list = slices.Collect(maps.Values(c.members))
	c.poke()
	c.mu.Unlock()
	for _, m := range gone {
		m.close()
	}
}

// poke tells waiting calls that members changed. Called with mu held.
func (c *Client) poke() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// pick returns a member for a call that has tried those in tried: up,
// healthy, preferred if any preferred one is, chosen by the balancer. It
// waits for one within ctx.
func (c *Client) pick(ctx context.Context, tried *triedSet) (*member, error) {
	for {
		c.mu.Lock()
		list, changed, closed := c.list, c.changed, c.closed
		c.mu.Unlock()
		if closed {
			return nil, ipfi.ErrClosed
		}
		if m := c.choose(list, tried.list()); m != nil {
			return m, nil
		}
		t := time.NewTimer(c.cfg.Health.Period) // a member's health changes without a poke
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w: %w", ErrNoMember, context.Cause(ctx))
		}
		t.Stop()
	}
}

// choose picks among list's members that are up, healthy and not in
// tried; nil if none is.
func (c *Client) choose(list, tried []*member) *member {
	var cands []Candidate
	var ms []*member
	preferred := false
	for _, m := range list {
		if !m.ready() || slices.Contains(tried, m) {
			continue
		}
		p := c.cfg.Prefer != nil && c.cfg.Prefer(m.m)
		if p && !preferred { // the first preferred one: drop the others
			preferred, cands, ms = true, cands[:0], ms[:0]
		}
		if p || !preferred {
			cands = append(cands, Candidate{Member: m.m, Open: int(m.open.Load())})
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil
	}
	return ms[c.cfg.Balancer.Pick(cands)]
}

// attempt makes do on members until it succeeds, fails in a way that may
// not be retried, or runs out of attempts or budget.
// idempotent says whether do may be made again after it may have run.
// An idempotent attempt on a member taken out of rotation while it is
// open is cancelled and made again elsewhere (member.do). tried holds the
// members the call was made on, shared with a hedge (nil: the call's own).
func (c *Client) attempt(ctx context.Context, idempotent bool, tried *triedSet, do func(ctx context.Context, w *ipfi.Wire) error) error {
	if tried == nil {
		tried = &triedSet{}
	}
	r := c.cfg.Retry
	c.calls.Add(1)
	for n := 1; ; n++ {
		if n > 1 {
			c.retries.Add(1)
		}
		m, err := c.pick(ctx, tried)
		if err != nil {
			return err
		}
		tried.add(m)
		err = m.do(ctx, idempotent, do)
		if err == nil {
			r.Budget.succeeded()
			return nil
		}
		if !retryable(ctx, err, idempotent) {
			return err // the procedure's own error, or one that may not be retried: not the budget's
		}
		if allowed := r.Budget.failed(); !allowed || n >= r.Attempts || !r.wait(ctx, n) {
			return err
		}
		c.logger.Debug("cluster: retrying on another member", "member", m.m.ID, "attempt", n+1, "err", err)
	}
}

// Call makes a call on a member (see Client and Retry).
func (c *Client) Call(ctx context.Context, proc procedures.Index, reply any, args ...any) error {
	idempotent := ipfi.IsIdempotent(ctx)
	if idempotent && c.cfg.Hedge.Percentile > 0 {
		if hedged, err := c.hedged(ctx, proc, reply, args); hedged {
			return err
		}
	}
	start := time.Now()
	err := c.attempt(ctx, idempotent, nil, func(ctx context.Context, w *ipfi.Wire) error { return w.Call(ctx, proc, reply, args...) })
	if err == nil {
		c.latency.add(time.Since(start))
	}
	return err
}

// Stream opens a stream from a member's procedure; it is made again on
// another member only if refused before it ran.
func (c *Client) Stream(ctx context.Context, proc procedures.Index, args []any, opts ...ipfi.Option) (*ipfi.Stream, error) {
	var s *ipfi.Stream
	err := c.attempt(ctx, false, nil, func(ctx context.Context, w *ipfi.Wire) (err error) {
		s, err = w.Stream(ctx, proc, args, opts...)
		return err
	})
	return s, err
}

// Open opens a bidirectional stream to a member's procedure; it is made
// again on another member only if refused before it ran.
func (c *Client) Open(ctx context.Context, proc procedures.Index, opts ...ipfi.Option) (*ipfi.Stream, error) {
	var s *ipfi.Stream
	err := c.attempt(ctx, false, nil, func(ctx context.Context, w *ipfi.Wire) (err error) {
		s, err = w.Open(ctx, proc, opts...)
		return err
	})
	return s, err
}

// discard is a slog.Handler that drops every record.
type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool  { return false }
func (discard) Handle(context.Context, slog.Record) error { return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discard) WithGroup(string) slog.Handler           { return d }
