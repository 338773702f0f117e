package cluster

import (
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
)

// TestHedgeAnswersPastAStuckMember: with hedging on, idempotent calls
// sent to a member that holds them (its procedure blocks) are sent again
// to the other past the latency percentile, and every call gets the
// other's answer; calls not marked idempotent are not hedged.
func TestHedgeAnswersPastAStuckMember(t *testing.T) {
	a, b := startServer(t, "a", false), startServer(t, "b", true)
	c := newClient(t, newPushResolver(a.member(), b.member()), func(cfg *ClientConfig) {
		cfg.Hedge = Hedge{Percentile: 0.9}
	})
	waitUp(t, c, 2)
	ctx := bounded(t, 10*time.Second)
	for range 40 { // time 40 fast calls: the percentile to hedge past
		if _, err := whoAmI.Call(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	idem := ipfi.WithIdempotent(ctx)
	for range 10 {
		if got, err := bump.Call(idem, c); err != nil || got != "b" {
			t.Fatalf("a hedged call: %q, %v; want b's answer", got, err)
		}
	}
	st := c.Stats()
	if st.Hedges < 3 {
		t.Fatalf("%d calls hedged of 10, half of which went to the stuck member first; want at least 3", st.Hedges)
	}
	if n := a.runs.Load(); n < 3 {
		t.Fatalf("the stuck member ran %d calls, want the ones sent to it first", n)
	}
	t.Logf("hedges: %d", st.Hedges)
}

// TestHedgeConfigRefused: a percentile outside [0, 1) or a negative Min is
// an invalid configuration.
func TestHedgeConfigRefused(t *testing.T) {
	i, err := ipfi.New()
	must(t, err)
	defer i.Close()
	for _, h := range []Hedge{{Percentile: 1}, {Percentile: -0.5}, {Percentile: 0.5, Min: -time.Second}} {
		if _, err := NewClient(ClientConfig{Interface: i, Resolver: Static(), Hedge: h}); err == nil {
			t.Errorf("NewClient with %+v succeeded", h)
		}
	}
}

// TestLatencyPercentile: the percentile of the samples, none before 20.
func TestLatencyPercentile(t *testing.T) {
	var l latencies
	for k := 1; k <= 19; k++ {
		l.add(time.Duration(k) * time.Millisecond)
	}
	if _, ok := l.percentile(0.5); ok {
		t.Fatal("a percentile from 19 samples")
	}
	for k := 20; k <= 100; k++ {
		l.add(time.Duration(k) * time.Millisecond)
	}
	if p, ok := l.percentile(0.9); !ok || p != 91*time.Millisecond {
		t.Fatalf("p90 of 1..100 ms = %v, %v; want 91ms", p, ok)
	}
}
