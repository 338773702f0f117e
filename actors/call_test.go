package actors

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// TestRecvEndsWhenItsCallNeverReachedAnActor: a stream registered with a
// wire that is already stopping is finished by the wire actor without an
// outbound actor. Recv must end at once with the wire's error, not spin
// until its context ends: that path closes the handle's done channel and
// must mark the call ended too.
func TestRecvEndsWhenItsCallNeverReachedAnActor(t *testing.T) {
	caller, _, _, _ := pairOf(t)
	must(t, caller.Close())
	c := newStreamCall(caller, callKey{1, 0}, OpenOptions{})
	(&wireActor{w: caller}).startCall(nil, c) // the wire is ending: no actor for the call
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Recv(ctx)
	if ctx.Err() != nil {
		t.Fatalf("Recv waited for its context (%v): a call that ended without an actor must end Recv", err)
	}
	if !errors.Is(err, ErrWireTerminated) || !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv = %v, want the wire's end (ErrWireTerminated, cause ErrClosed)", err)
	}
	if _, err := c.Wait(ctx); !errors.Is(err, ErrWireTerminated) {
		t.Fatalf("Wait = %v, want ErrWireTerminated", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done is not closed")
	}
}

// TestCallStartedAsItsWireEndsEnds: a call registered just as its wire
// ends never waits: whether the wire actor took it or stopped before,
// Done closes and Wait returns the wire's end.
func TestCallStartedAsItsWireEndsEnds(t *testing.T) {
	for i := range 50 {
		caller, _, _, _ := pairOf(t)
		ended := make(chan struct{})
		go func() { caller.terminate(ErrClosed); close(ended) }()
		c, err := caller.Start(context.Background(), 1, []byte{0xc0})
		if err != nil {
			if !errors.Is(err, ErrWireTerminated) {
				t.Fatalf("round %d: Start = %v, want ErrWireTerminated", i, err)
			}
			<-ended
			continue
		}
		<-ended
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: a call started as its wire ended is still waiting", i)
		}
		if _, err := c.Wait(context.Background()); !errors.Is(err, ErrWireTerminated) {
			t.Fatalf("round %d: Wait = %v, want ErrWireTerminated", i, err)
		}
	}
}

// TestCallWhoseActorStoppedFirstEnds: a call whose outbound actor stopped
// before taking it up (its outBegin queued behind the stop, as when the
// wire ends while that actor is busy on another goroutine) ends with the
// wire instead of waiting for ever: the wire actor's stopped fails every
// call it still routes. The test stops the actor just before the call is
// handed to it, then ends the wire.
func TestCallWhoseActorStoppedFirstEnds(t *testing.T) {
	caller, _, _, _ := pairOf(t)
	setOutBeginHook(t, func(ctx actor.Context, pid *actor.PID) { ctx.Stop(pid) })
	c, err := caller.Start(context.Background(), 1, []byte{0xc0})
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	caller.terminate(ErrClosed)
	endsWithItsWire(t, c, "a call whose actor stopped before taking it up")
}

// endsWithItsWire fails the test unless call c, whose wire has ended,
// ends within 5 s (what names it in the failure) and Wait returns
// ErrWireTerminated.
func endsWithItsWire(t *testing.T, c *Call, what string) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("%s is still waiting after its wire ended", what)
	}
	if _, err := c.Wait(context.Background()); !errors.Is(err, ErrWireTerminated) {
		t.Fatalf("Wait = %v, want ErrWireTerminated", err)
	}
}

// TestCallQueuedBehindTheStopEnds: a call whose registration is still
// queued in the wire actor's mailbox when the wire ends (the stop, a
// system message, runs first and the actor then drops user messages)
// ends with the wire instead of waiting for ever. The test holds the
// mailbox as a goroutine running it would, so that the registration
// queues, then ends the wire and lets the mailbox run.
func TestCallQueuedBehindTheStopEnds(t *testing.T) {
	caller, _, _, _ := pairOf(t)
	mb := caller.mailbox
	deadline := time.Now().Add(5 * time.Second)
	for !mb.status.CompareAndSwap(mailboxIdle, mailboxRunning) {
		if time.Now().After(deadline) {
			t.Fatal("the wire's mailbox stayed busy")
		}
		runtime.Gosched()
	}
	c, err := caller.Start(context.Background(), 1, []byte{0xc0})
	if err != nil {
		mb.run()
		t.Fatalf("Start = %v", err)
	}
	caller.terminate(ErrClosed)
	mb.run() // the stop, then what was queued before it
	endsWithItsWire(t, c, "a call queued behind the wire's stop")
}

// TestRecvOnAStartCallIsAnError: a call made with Start has no stream
// queue (its handle leaves it out); Recv on it says so at once instead of
// waiting for values that go to Wait.
func TestRecvOnAStartCallIsAnError(t *testing.T) {
	c := newCall(&Conn{}, callKey{proc: 1, call: 2})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := c.Recv(ctx); !errors.Is(err, errNotStream) {
		t.Fatalf("Recv on a Start call: %v, want errNotStream", err)
	}
}

// TestCallRecordsEitherKindOfDeadline: a deadline with a monotonic clock
// reading (context.WithTimeout's) and one without (a wall-clock time given
// to context.WithDeadline) are recorded alike, as the time since epoch at
// which the call's time runs out.
func TestCallRecordsEitherKindOfDeadline(t *testing.T) {
	for _, wall := range []bool{false, true} {
		d := time.Now().Add(time.Hour)
		if wall {
			d = d.Round(0)
		}
		ctx, cancel := context.WithDeadline(context.Background(), d)
		c := &Call{}
		err := c.setExt(ctx)
		cancel()
		must(t, err)
		left := time.Duration(c.deadline) - time.Since(epoch)
		if left <= 59*time.Minute || left > time.Hour {
			t.Fatalf("wall clock only %v: %v left, want just under an hour", wall, left)
		}
	}
}
