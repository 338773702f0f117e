package actors

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

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
