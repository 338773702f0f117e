package cluster

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
)

// TestPowerOfTwoTakesTheLessLoaded: of two candidates, the power of two
// choices always takes the one with fewer calls open.
func TestPowerOfTwoTakesTheLessLoaded(t *testing.T) {
	b := PowerOfTwo()
	cs := []Candidate{{Member: Member{ID: "busy"}, Open: 5}, {Member: Member{ID: "idle"}, Open: 0}}
	for range 100 {
		if k := b.Pick(cs); k != 1 {
			t.Fatalf("picked %s (open %d), want idle", cs[k].Member.ID, cs[k].Open)
		}
	}
	if k := b.Pick(cs[:1]); k != 0 {
		t.Fatalf("one candidate: picked %d", k)
	}
}

// TestBalancingIsEven: 3,000 calls over three servers land within 10% of
// a third on each with round robin (the default).
func TestBalancingIsEven(t *testing.T) {
	for _, b := range []struct {
		name string
		bal  Balancer
	}{{"round robin", RoundRobin()}} {
		t.Run(b.name, func(t *testing.T) {
			servers := []*testServer{startServer(t, "a", true), startServer(t, "b", true), startServer(t, "c", true)}
			r := newPushResolver(servers[0].member(), servers[1].member(), servers[2].member())
			c := newClient(t, r, func(cfg *ClientConfig) { cfg.Balancer = b.bal })
			waitUp(t, c, 3)
			ctx := bounded(t, 20*time.Second)
			var wg sync.WaitGroup
			for range 10 { // callers at once, so that open calls differ
				wg.Go(func() {
					for range 300 {
						if _, err := whoAmI.Call(ctx, c); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			for _, s := range servers {
				if n := s.runs.Load(); n < 900 || n > 1100 {
					t.Errorf("server %s ran %d of 3000 calls, want 900-1100", s.name, n)
				}
			}
		})
	}
}

// TestFailoverLosesNoIdempotentCall: while 8 callers make idempotent calls
// that are open on every server, one server dies; every call succeeds,
// those on the dead server retried on another.
func TestFailoverLosesNoIdempotentCall(t *testing.T) {
	servers := []*testServer{startServer(t, "a", false), startServer(t, "b", false), startServer(t, "c", false)}
	r := newPushResolver(servers[0].member(), servers[1].member(), servers[2].member())
	c := newClient(t, r, nil)
	waitUp(t, c, 3)
	ctx := bounded(t, 20*time.Second)
	idem := ipfi.WithIdempotent(ctx)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := bump.Call(idem, c); err != nil {
				failed.Add(1)
				t.Error(err)
			}
		})
	}
	// Every server has a call open (round robin over 8 calls), then a
	// dies with them and the others answer.
	waitRuns(t, servers, 8)
	servers[0].kill()
	close(servers[1].release)
	close(servers[2].release)
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d idempotent calls failed", failed.Load())
	}
	if ran := servers[1].runs.Load() + servers[2].runs.Load(); ran < 8 {
		t.Fatalf("the surviving servers ran %d calls, want all 8 (the dead one's retried)", ran)
	}
}

// waitRuns waits until the servers have run n calls between them.
func waitRuns(t *testing.T, servers []*testServer, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var sum int64
		for _, s := range servers {
			sum += s.runs.Load()
		}
		if sum >= n {
			return
		}
		time.Sleep(5 * time.Millisecond) // polling counters: no signal to wait on
	}
	t.Fatalf("the servers did not run %d calls within 5 s", n)
}

// TestNonIdempotentCallIsNotRetried: a call not marked idempotent, open on
// a server that dies, fails with ErrWireTerminated and runs nowhere else.
func TestNonIdempotentCallIsNotRetried(t *testing.T) {
	a, b := startServer(t, "a", false), startServer(t, "b", true)
	r := newPushResolver(a.member())
	c := newClient(t, r, nil)
	waitUp(t, c, 1)
	r.set(a.member(), b.member())
	waitUp(t, c, 2)
	ctx := bounded(t, 10*time.Second)
	errs := make(chan error, 1)
	// Round robin from the first member: with a alone known first, make
	// calls until one is open on a.
	go func() { _, err := bump.Call(ctx, c); errs <- err }()
	deadline := time.Now().Add(5 * time.Second)
	for a.runs.Load() == 0 && time.Now().Before(deadline) {
		if b.runs.Load() > 0 { // it went to b: make another, which goes to a
			go func() { _, err := bump.Call(ctx, c); errs <- err }()
			<-errs // b's answer
			b.runs.Store(0)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if a.runs.Load() == 0 {
		t.Fatal("no call reached server a")
	}
	a.kill()
	err := <-errs
	if !errors.Is(err, ipfi.ErrWireTerminated) {
		t.Fatalf("a call open as its server died: %v, want ErrWireTerminated", err)
	}
	if n := b.runs.Load(); n != 0 {
		t.Fatalf("server b ran the call %d times: it was retried", n)
	}
}

// TestRefusedCallIsRetriedElsewhere: a call that a shutting-down server
// refuses before running it is made on another server, though not marked
// idempotent.
func TestRefusedCallIsRetriedElsewhere(t *testing.T) {
	a, b := startServer(t, "a", false), startServer(t, "b", true)
	r := newPushResolver(a.member(), b.member())
	c := newClient(t, r, func(cfg *ClientConfig) { cfg.Health.Period = -1 })
	waitUp(t, c, 2)
	// Shutdown with a call open keeps a's wires up, refusing new calls.
	shut := make(chan error, 1)
	ctx := bounded(t, 10*time.Second)
	w, err := a.i.Dial(ctx, "tcp", a.addr) // a's own wire to itself keeps a call open
	must(t, err)
	p, err := w.Start(ctx, bump.Index)
	must(t, err)
	waitRuns(t, []*testServer{a}, 1)
	// Once another peer's call is refused, a refuses every wire's.
	x, err := ipfi.New()
	must(t, err)
	defer x.Close()
	wx, err := x.Dial(ctx, "tcp", a.addr)
	must(t, err)
	go func() { shut <- a.i.Shutdown(ctx) }()
	for {
		if _, err := whoAmI.Call(ctx, wx); errors.Is(err, ipfi.ErrShutdown) {
			break
		} else if ctx.Err() != nil {
			t.Fatal("server a never refused a call")
		}
	}
	for range 4 {
		got, err := bump.Call(ctx, c)
		if err != nil || got != "b" {
			t.Fatalf("a call while a shuts down: %q, %v; want b's answer", got, err)
		}
	}
	close(a.release)
	_ = p.Wait(ctx, nil)
	<-shut
}

// TestJoiningServerGetsTrafficWithinASecond: a server the resolver reports
// takes calls within 1 s.
func TestJoiningServerGetsTrafficWithinASecond(t *testing.T) {
	a, b := startServer(t, "a", true), startServer(t, "b", true)
	r := newPushResolver(a.member())
	c := newClient(t, r, nil)
	waitUp(t, c, 1)
	ctx := bounded(t, 10*time.Second)
	joined := time.Now()
	r.set(a.member(), b.member())
	for b.runs.Load() == 0 {
		if time.Since(joined) > time.Second {
			t.Fatal("the joining server had no call within 1 s")
		}
		if _, err := whoAmI.Call(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("first call on the joining server %v after its join", time.Since(joined))
}

// TestPreferredSubset: calls go to the preferred members while one is up,
// to the others when none is.
func TestPreferredSubset(t *testing.T) {
	a, b := startServer(t, "a", true), startServer(t, "b", true)
	ma, mb := a.member(), b.member()
	ma.Tags, mb.Tags = map[string]string{"zone": "here"}, map[string]string{"zone": "there"}
	r := newPushResolver(ma, mb)
	c := newClient(t, r, func(cfg *ClientConfig) { cfg.Prefer = func(m Member) bool { return m.Tags["zone"] == "here" } })
	waitUp(t, c, 2)
	ctx := bounded(t, 10*time.Second)
	for range 20 {
		if got, err := whoAmI.Call(ctx, c); err != nil || got != "a" {
			t.Fatalf("with the preferred member up: %q, %v; want a", got, err)
		}
	}
	a.kill()
	if got, err := whoAmI.Call(ipfi.WithIdempotent(ctx), c); err != nil || got != "b" {
		t.Fatalf("with the preferred member gone: %q, %v; want b", got, err)
	}
}

// TestBudget: a budget of 4 tokens allows a retry only while more than 2
// are left (one in ten straight failures), and allows again after
// successes refill it.
func TestBudget(t *testing.T) {
	budget := NewBudget(4, 0.1)
	allowed := 0
	for range 10 {
		if budget.failed() {
			allowed++
		}
	}
	if allowed != 1 {
		t.Fatalf("a budget of 4 allowed %d retries in 10 failures, want 1", allowed)
	}
	for range 30 {
		budget.succeeded()
	}
	if !budget.failed() {
		t.Fatal("the budget allowed no retry after 30 successes")
	}
}

// TestPartitionHeals: a server behind a proxy that stops forwarding is
// taken out of rotation (its pings go unanswered) and calls go to the
// other; once the proxy forwards again it takes calls again.
func TestPartitionHeals(t *testing.T) {
	a, p, c := proxiedPair(t)
	ctx := bounded(t, 20*time.Second)
	p.partition()
	deadline := time.Now().Add(5 * time.Second)
	for c.members["a"] != nil && c.members["a"].ready() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if c.members["a"].ready() {
		t.Fatal("the partitioned server is still in rotation after 5 s")
	}
	a.runs.Store(0)
	for range 10 {
		if got, err := whoAmI.Call(ctx, c); err != nil || got != "b" {
			t.Fatalf("during the partition: %q, %v; want b", got, err)
		}
	}
	p.heal()
	waitUp(t, c, 2)
	for range 10 {
		if _, err := whoAmI.Call(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if a.runs.Load() == 0 {
		t.Fatal("the healed server took no call")
	}
}

// proxiedPair starts servers a and b and a client of both, up, that
// reaches a through a proxy: a test can partition a from the client.
func proxiedPair(t *testing.T) (*testServer, *proxy, *Client) {
	t.Helper()
	a, b := startServer(t, "a", true), startServer(t, "b", true)
	p := newProxy(t, a.addr)
	ma := a.member()
	ma.Addr = p.addr()
	c := newClient(t, newPushResolver(ma, b.member()), nil)
	waitUp(t, c, 2)
	return a, p, c
}

// TestCallsOnAStoppedMemberMoveElsewhere: idempotent calls open on a
// member that stops answering (a proxy holds its bytes, as a stopped
// process would) are cancelled as health checks take it out of rotation,
// and succeed on another member within their deadline.
func TestCallsOnAStoppedMemberMoveElsewhere(t *testing.T) {
	_, p, c := proxiedPair(t)
	p.partition()
	ctx := ipfi.WithIdempotent(bounded(t, 5*time.Second))
	var wg sync.WaitGroup
	for range 8 { // round robin: half of them to a
		wg.Go(func() {
			if got, err := whoAmI.Call(ctx, c); err != nil || got != "b" {
				t.Errorf("a call during the stop: %q, %v; want b's answer", got, err)
			}
		})
	}
	wg.Wait()
}

// TestWiresAreLabelledByMember: each member's wire carries the member's
// ID as its label (for logs and ipfiotel.WithPeerLabels).
func TestWiresAreLabelledByMember(t *testing.T) {
	a, b := startServer(t, "a", true), startServer(t, "b", true)
	c := newClient(t, newPushResolver(a.member(), b.member()), nil)
	waitUp(t, c, 2)
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, m := range c.members {
		if w := m.wire(); w == nil || w.Label() != id {
			t.Fatalf("member %s's wire is labelled %q, want %q", id, w.Label(), id)
		}
	}
}

// TestClientClose: calls after Close fail with ErrClosed.
func TestClientClose(t *testing.T) {
	a := startServer(t, "a", true)
	i, err := ipfi.New()
	must(t, err)
	defer i.Close()
	c, err := NewClient(ClientConfig{Interface: i, Resolver: newPushResolver(a.member())})
	must(t, err)
	must(t, c.Close())
	if _, err := whoAmI.Call(bounded(t, time.Second), c); !errors.Is(err, ipfi.ErrClosed) {
		t.Fatalf("a call after Close: %v, want ErrClosed", err)
	}
}
