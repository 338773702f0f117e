package actors

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi/wire"
)

// openIdle opens a stream to the callee's procedure 1, which sends nothing
// until cancelled, on a wire whose peer has announced the extensions: the
// test plays the response by pushing values itself.
func openIdle(t *testing.T, opt OpenOptions) *Call {
	t.Helper()
	caller, _, _, _ := pairOf(t)
	select {
	case <-caller.heard:
	case <-time.After(10 * time.Second):
		t.Fatal("the callee's announcement did not arrive")
	}
	if !caller.peerExt() {
		t.Fatal("the callee does not speak the extensions")
	}
	p, err := caller.Open(context.Background(), 1, opt)
	must(t, err)
	t.Cleanup(p.Cancel)
	return p
}

// windowOf reads c's response window.
func windowOf(c *Call) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.q.win.Size()
}

// take pushes n bytes as one value and takes it with Recv.
func take(t *testing.T, p *Call, n int) {
	t.Helper()
	p.push([][]byte{make([]byte, n)})
	if _, err := p.Recv(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// dry makes Recv find nothing to read (and wait), then lets it return a
// value.
func dry(t *testing.T, p *Call) {
	t.Helper()
	waiting := make(chan struct{})
	var once sync.Once // Recv may wake for a stale signal and wait again
	setRecvWaitsHook(t, func() { once.Do(func() { close(waiting) }) })
	got := make(chan error, 1)
	go func() {
		_, err := p.Recv(context.Background())
		got <- err
	}()
	<-waiting
	p.push([][]byte{{1}})
	must(t, <-got)
}

// TestAdaptiveWindowGrowsWhenRecvRunsDry: a stream's window doubles, from
// wire.InitialCredit to the maximum, each time Recv finds nothing to read
// after taking half the initial window; never on a reader that took less
// (a trickle), and never beyond the maximum.
func TestAdaptiveWindowGrowsWhenRecvRunsDry(t *testing.T) {
	p := openIdle(t, OpenOptions{MaxWindow: 4 * wire.InitialCredit})
	if w := windowOf(p); w != wire.InitialCredit {
		t.Fatalf("window %d at first, want %d", w, wire.InitialCredit)
	}
	take(t, p, 1000)
	dry(t, p)
	if w := windowOf(p); w != wire.InitialCredit {
		t.Fatalf("window %d after a trickle ran dry, want %d", w, wire.InitialCredit)
	}
	for _, want := range []int64{2 * wire.InitialCredit, 4 * wire.InitialCredit, 4 * wire.InitialCredit} {
		take(t, p, wire.InitialCredit/2)
		dry(t, p)
		if w := windowOf(p); w != want {
			t.Fatalf("window %d after running dry, want %d", w, want)
		}
	}
}

// TestChosenWindowIsFixed: a window the caller chose does not grow, and
// the default maximum is DefaultMaxWindow.
func TestChosenWindowIsFixed(t *testing.T) {
	p := openIdle(t, OpenOptions{Window: 2 * wire.InitialCredit})
	for range 3 {
		take(t, p, wire.InitialCredit)
		dry(t, p)
	}
	if w := windowOf(p); w != 2*wire.InitialCredit {
		t.Fatalf("chosen window grew to %d", w)
	}
	if d := openIdle(t, OpenOptions{}); d.q.win.Max() != DefaultMaxWindow {
		t.Fatalf("default maximum %d, want %d", d.q.win.Max(), DefaultMaxWindow)
	}
}

// run pushes n values of size bytes each as one run.
func pushRun(p *Call, n, size int) {
	data := make([]byte, n*size)
	ends := make([]uint32, n)
	for i := range ends {
		data[i*size] = byte(i)
		ends[i] = uint32((i + 1) * size)
	}
	p.pushRun(data, ends, 0)
}

// TestRecvServesARunWithoutLosingCreditOrCancel: Recv takes a run of
// values whole and serves it without the lock, and still accounts every
// byte for credit, and still stops at a Cancel made halfway.
func TestRecvServesARunWithoutLosingCreditOrCancel(t *testing.T) {
	p := openIdle(t, OpenOptions{})
	pushRun(p, 10, 3<<10)
	for i := range 10 {
		v, err := p.Recv(context.Background())
		if err != nil || len(v) != 3<<10 || v[0] != byte(i) {
			t.Fatalf("value %d: %d bytes starting %v, %v", i, len(v), v[:1], err)
		}
	}
	p.mu.Lock()
	win, owed := p.q.win, p.q.owed
	p.mu.Unlock()
	// 30 KiB accounted: 2 KiB more reach half the window, which grants all.
	if g := win.Consumed(2 << 10); g != 32<<10 || owed != 0 {
		t.Fatalf("after taking 30 KiB, 2 KiB more grant %d with %d owed, want 32 KiB and nothing owed", g, owed)
	}

	pushRun(p, 10, 16)
	for range 3 {
		if _, err := p.Recv(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	p.Cancel()
	if _, err := p.Recv(context.Background()); !errors.Is(err, ErrCancelled) {
		t.Fatalf("Recv after Cancel, with values of the run left: %v, want ErrCancelled", err)
	}
}
