package topo

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	if p50, p99, p100 := percentile(d, 0.5), percentile(d, 0.99), percentile(d, 1); p50 != 50 || p99 != 99 || p100 != 100 {
		t.Errorf("p50 %d p99 %d p100 %d", p50, p99, p100)
	}
	if percentile(nil, 0.5) != 0 || percentile(d[:1], 0.01) != 1 {
		t.Error("edge cases")
	}
}

// ForEach runs every index once and never more than conc at once.
func TestForEach(t *testing.T) {
	var running, most, sum atomic.Int64
	err := ForEach(context.Background(), 3, 103, 4, func(_ context.Context, i int) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		sum.Add(int64(i))
		running.Add(-1)
	})
	if err != nil || sum.Load() != (3+102)*100/2 || most.Load() > 4 {
		t.Errorf("err %v, sum %d, at most %d at once", err, sum.Load(), most.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ForEach(ctx, 0, 10, 1, func(context.Context, int) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestRecorder(t *testing.T) {
	r := NewRecorder()
	r.Declare("b", "a")
	r.Record("a", time.Millisecond, nil, false)
	r.Record("a", 0, &ipfi.WireError{Cause: ipfi.ErrClosed}, true)
	r.Record("b", 0, errors.New("boom"), false)
	r.Add("x", 2)
	r.Add("x", 3)
	s := r.Summarize()
	if s.Calls != 3 || s.OK != 1 || s.Failed != 2 || s.Affected != 1 || s.AffectedFailed != 1 ||
		s.UnaffectedFailed != 1 || s.WireTerminated != 1 || len(s.Errors) != 2 || s.Stat("x") != 5 {
		t.Errorf("%+v", s)
	}
	if s.Kinds[0].Kind != "b" || s.Kinds[1].P50 != time.Millisecond {
		t.Errorf("kinds %+v", s.Kinds)
	}
	if s.Check() == nil || s.Expect(3, 1, true) == nil {
		t.Error("an unaffected failure passed the checks")
	}
}

// Kill ends the wires of the killed peer on both sides: a call to it and a
// call from it fail with ErrWireTerminated, with the causes the examples
// report.
func TestKill(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		cfg := &Config{N: 3, Calls: 1, TCP: tcp, Kill: 1, Timeout: 10 * time.Second, CallTimeout: 5 * time.Second}
		ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
		nt, err := NewNet(cfg)
		if err != nil {
			t.Fatal(err)
		}
		// Each peer answers its id.
		procID := ipfi.Proc0[int]{Index: 1}
		for _, p := range nt.Peers {
			id := p.ID
			if err := procID.Register(p.Iface, func(context.Context) (int, error) { return id, nil }); err != nil {
				t.Fatal(err)
			}
		}
		w01, w10, err := nt.Link(ctx, nt.Peers[0], nt.Peers[1])
		if err != nil {
			t.Fatal(err)
		}
		w02, _, err := nt.Link(ctx, nt.Peers[0], nt.Peers[2])
		if err != nil {
			t.Fatal(err)
		}
		if got, err := procID.Call(ctx, w01); got != 1 || err != nil {
			t.Errorf("before the kill: %d, %v", got, err)
		}
		rep, err := nt.Kill(ctx, 1)
		if err != nil || rep.Wires != 1 || rep.Causes[ipfi.ErrPeerTerminated.Error()] != 1 {
			t.Errorf("kill: %v, %+v", err, rep)
		}
		if _, err := procID.Call(ctx, w01); !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, ipfi.ErrPeerTerminated) {
			t.Errorf("call to the killed peer: %v", err)
		}
		if _, err := procID.Call(ctx, w10); !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, ipfi.ErrClosed) {
			t.Errorf("call from the killed peer: %v", err)
		}
		if got, err := procID.Call(ctx, w02); got != 2 || err != nil {
			t.Errorf("call between the others: %d, %v", got, err)
		}
		if err := nt.Close(); err != nil {
			t.Error(err)
		}
		cancel()
	}
}

func TestConfigCheck(t *testing.T) {
	ok := Config{N: 2, Calls: 1, Kill: NoKill, Timeout: time.Second, CallTimeout: time.Second}
	if err := ok.Check(2); err != nil {
		t.Error(err)
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.N = 1 },
		func(c *Config) { c.Calls = 0 },
		func(c *Config) { c.Kill = 2 },
		func(c *Config) { c.Kill = -2 },
		func(c *Config) { c.CallTimeout = 0 },
	} {
		c := ok
		bad(&c)
		if c.Check(2) == nil {
			t.Errorf("%+v passed", c)
		}
	}
	if ok.KillAt() != 1 || ok.AfterKill(0) {
		t.Error("KillAt without a kill")
	}
	ok.Calls, ok.Kill = 5, 1
	if ok.KillAt() != 2 || ok.AfterKill(1) || !ok.AfterKill(2) {
		t.Error("KillAt with a kill")
	}
}
