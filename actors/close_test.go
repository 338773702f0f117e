package actors

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ipfi-go/ipfi/procedures"
)

// TestWireCloseWaitsForItsGoroutines: Conn.Close returns only once every
// goroutine the wire started has ended, including the worker running a
// procedure that takes a while to return after its context is cancelled.
func TestWireCloseWaitsForItsGoroutines(t *testing.T) {
	var returned atomic.Bool
	started := make(chan struct{})
	reg := procedures.NewRegistry()
	must(t, reg.Register(1, procedures.Raw(func(ctx context.Context, _ []byte) ([]byte, error) {
		close(started)
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // a procedure slow to return: Close must wait for it
		returned.Store(true)
		return nil, context.Cause(ctx)
	})))
	callerSys, calleeSys := NewSystem(Config{}), NewSystem(Config{Registry: reg})
	t.Cleanup(func() {
		must(t, callerSys.Close())
		must(t, calleeSys.Close())
	})
	a, b := net.Pipe()
	caller, err := callerSys.Connect(a, a, a, WireOptions{})
	must(t, err)
	callee, err := calleeSys.Connect(b, b, b, WireOptions{})
	must(t, err)
	if _, err := caller.Start(context.Background(), 1, nil); err != nil {
		t.Fatal(err)
	}
	<-started
	must(t, callee.Close())
	if !returned.Load() {
		t.Fatal("Conn.Close returned while a procedure of the wire was still running")
	}
}

// TestConnectAsTheSystemClosesReturns: a Connect that has found the system
// open, and whose message to the root arrives only after Close has stopped
// it, fails with ErrClosed instead of waiting for an answer that cannot
// come (a message to a stopped actor is dropped).
func TestConnectAsTheSystemClosesReturns(t *testing.T) {
	sys := NewSystem(Config{})
	setConnectSpawnsHook(t, func() { must(t, sys.Close()) })
	r, w := io.Pipe()
	defer w.Close()
	err := returnsWithin(t, "Connect, once the system had closed,", func() error {
		_, err := sys.Connect(r, io.Discard, r, WireOptions{})
		return err
	})
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("Connect returned %v, want ErrClosed", err)
	}
}

// TestSpawnChildAfterCloseReturns: SpawnChild on a closed system fails
// with ErrClosed instead of waiting for a root that has stopped.
func TestSpawnChildAfterCloseReturns(t *testing.T) {
	sys := NewSystem(Config{})
	must(t, sys.Close())
	err := returnsWithin(t, "SpawnChild on a closed system", func() error {
		_, err := sys.SpawnChild("child", func() actor.Actor { return nopActor{} })
		return err
	})
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("SpawnChild returned %v, want ErrClosed", err)
	}
}

// returnsWithin runs f on a goroutine and returns its error, failing the
// test if it has not returned within 10 seconds (what names it).
func returnsWithin(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
		return nil
	}
}

// nopActor is an actor that does nothing.
type nopActor struct{}

func (nopActor) Receive(actor.Context) {}
