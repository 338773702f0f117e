package actors

import (
	"bytes"
	"context"
	"errors"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// pairOf connects two wires of two systems over an in-memory pipe; the
// callee side serves procedure 0 (echo) and procedure 1 (blocks until its
// context ends).
func pairOf(t *testing.T) (caller, callee *Conn, callerSys, calleeSys *System) {
	t.Helper()
	reg := procedures.NewRegistry()
	must(t, reg.Register(0, procedures.Raw(func(_ context.Context, args []byte) ([]byte, error) {
		return args, nil
	})))
	must(t, reg.Register(1, procedures.Raw(func(ctx context.Context, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, context.Cause(ctx)
	})))
	callerSys, calleeSys = NewSystem(Config{}), NewSystem(Config{Registry: reg})
	t.Cleanup(func() {
		must(t, callerSys.Close())
		must(t, calleeSys.Close())
	})
	a, b := net.Pipe()
	var err error
	caller, err = callerSys.Connect(a, a, a, WireOptions{})
	must(t, err)
	callee, err = calleeSys.Connect(b, b, b, WireOptions{})
	must(t, err)
	return caller, callee, callerSys, calleeSys
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// spawned counts the actors ever spawned in a system.
func (s *System) spawned() uint64 { return atomic.LoadUint64(&s.as.ProcessRegistry.SequenceID) }

// processes counts the actors registered in a system.
func (s *System) processes() int {
	n := 0
	for _, m := range s.as.ProcessRegistry.LocalPIDs.LocalPIDs {
		n += m.Count()
	}
	return n
}

// TestCallActorsAreReused: call actors go back to their wire when their call
// ends, so many calls, sequential or concurrent, leave at most
// callActorPool idle actors per side and no actor per finished call.
func TestCallActorsAreReused(t *testing.T) {
	caller, _, callerSys, calleeSys := pairOf(t)
	ctx := context.Background()
	before := callerSys.processes() + calleeSys.processes()
	spawnedBefore := callerSys.spawned() + calleeSys.spawned()
	payload := []byte{0xa1, 'x'}
	for range 500 {
		out, err := caller.Call(ctx, 0, payload)
		must(t, err)
		if len(out) != 1 || !bytes.Equal(out[0], payload) {
			t.Fatalf("echo = %x, want one %x", out, payload)
		}
	}
	// Sequential calls need one actor per side, a few when the next call
	// begins before the last one's actor is back with its wire (the callee
	// answers before its call actor hears that the procedure returned).
	if got := callerSys.processes() + calleeSys.processes(); got > before+6 {
		t.Fatalf("after 500 sequential calls: %d actors, want at most %d (three call actors per side)", got, before+6)
	}
	if n := callerSys.spawned() + calleeSys.spawned() - spawnedBefore; n > 6 {
		t.Fatalf("500 sequential calls spawned %d actors, want at most 6", n)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := []byte{0xcd, byte(i >> 8), byte(i)}
			out, err := caller.Call(ctx, 0, p)
			if err == nil && (len(out) != 1 || !bytes.Equal(out[0], p)) {
				err = errors.New("wrong echo")
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// A caller has its answer before its call actor is back with the wire,
	// and actors beyond the pool stop asynchronously: wait for it to settle.
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := callerSys.processes() + calleeSys.processes()
		if got <= before+2*callActorPool {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 200 concurrent calls: %d actors, want at most %d", got, before+2*callActorPool)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCallsAfterCancelledCallsAreAnswered: calls whose cancel races their
// answer, each followed by a call on the same (reused) actors: every later
// call is answered. (A cancel that arrives once its actor is idle is
// TestIdleCallActorIgnoresStaleMessages; this load rarely produces one.)
func TestCallsAfterCancelledCallsAreAnswered(t *testing.T) {
	caller, _, _, _ := pairOf(t)
	ctx := context.Background()
	for i := range 200 {
		// A short call whose cancel races its answer...
		p, err := caller.Start(ctx, 0, []byte{0x01})
		must(t, err)
		p.Cancel()
		_, _ = p.Wait(ctx)
		// ... then a call on the same actors must still be answered.
		out, err := caller.Call(ctx, 0, []byte{0x02})
		if err != nil || len(out) != 1 || out[0][0] != 0x02 {
			t.Fatalf("round %d: call after a cancelled one = %x, %v", i, out, err)
		}
	}
}

// TestWorkersAreReusedAndEnd: a procedure's goroutine parks for the next
// call, takes it if one comes, ends after a whole idle period without one,
// and ends as soon as its wire ends.
func TestWorkersAreReusedAndEnd(t *testing.T) {
	var sysWG sync.WaitGroup
	w := &Conn{sys: &System{workerIdle: defaultWorkerIdle}}
	w.goroutines.sys = &sysWG
	parked := func() int {
		w.workers.mu.Lock()
		defer w.workers.mu.Unlock()
		return len(w.workers.idle)
	}
	ids := make(chan uint64, 2)
	var gone sync.WaitGroup
	for range 2 {
		gone.Add(1)
		w.goWork(func() { ids <- goid(); gone.Done() })
		gone.Wait()
		waitUntil(t, func() bool { return parked() == 1 })
	}
	if a, b := <-ids, <-ids; a != b {
		t.Errorf("second job ran on goroutine %d, first on %d: want the same worker", b, a)
	}
	// Idle for a whole period: the worker ends.
	done := make(chan struct{})
	go func() { w.goroutines.wait(time.Minute); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * defaultWorkerIdle):
		t.Fatal("an idle worker did not end")
	}
	if parked() != 0 {
		t.Fatal("an ended worker is still listed")
	}
	// A parked worker ends with its wire, long before its idle time.
	w.sys.workerIdle = time.Hour
	w.goWork(func() {})
	waitUntil(t, func() bool { return parked() == 1 })
	w.stopWorkers() // as Conn.terminate does
	ended := make(chan struct{})
	go func() { sysWG.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("a parked worker did not end with its wire")
	}
}

// goid is the calling goroutine's id, from its stack header.
func goid() uint64 {
	var b [64]byte
	s := b[:runtime.Stack(b[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(s[:bytes.IndexByte(s, ' ')]), 10, 64)
	return id
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// msgCtx is the part of actor.Context an idle call actor's Receive uses.
type msgCtx struct {
	actor.Context
	msg any
}

func (c msgCtx) Message() any { return c.msg }

// TestIdleCallActorIgnoresStaleMessages: a cancel or a frame the wire
// routed to a call actor as its call ended reaches it once it is idle
// (back with its wire, maybe soon to take up another call): it must do
// nothing with them.
func TestIdleCallActorIgnoresStaleMessages(t *testing.T) {
	c := &inboundActor{w: &Conn{}}
	f := &wire.Frame{Kind: wire.KindCall, Terminator: wire.TermComplete, Procedure: 1, Call: 2, Payload: []byte{0xc0}}
	for _, m := range []any{cancelMsg{}, frameRef{f}} {
		c.Receive(msgCtx{msg: m}) // acting on it would use the nil call
		if c.call != nil {
			t.Fatalf("an idle call actor acted on %T: %+v", m, c)
		}
	}
}
