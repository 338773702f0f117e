package ipfi

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/supervision"
)

// The keeper's messages.
type (
	restartMsg struct{} // the policy's delay has passed: dial again
	dialedMsg  struct{} // a dial has ended: its wire is in Supervised.dialed, or it failed with keeper.dialErr
)

func (restartMsg) IgnoreDeadLetterLogging() {}
func (dialedMsg) IgnoreDeadLetterLogging()  {}

// errNoWireDialled is the failure of a dial that returned neither a wire
// nor an error.
var errNoWireDialled = fmt.Errorf("%w: the dial function returned neither a wire nor an error", ErrNoWire)

// keeper is a supervised wire's actor, under the interface root beside the
// wires. It dials as it starts; once a dial has made a wire it watches the
// wire's actor and, when that terminates, or when a dial fails, asks the
// policy, waits its delay and dials again (on a goroutine: a dial blocks),
// until the policy gives up or the keeper is stopped (Supervised.Close, or
// the interface's Close through the root). Its fields are its own; it
// changes the Supervised's state through Supervised.set and setLocked.
type keeper struct {
	s        *Supervised
	wire     *Wire       // the wire watched (nil until up, and while restarting)
	restarts []time.Time // when each dial after the first began
	cause    error       // the last failure
	timer    *time.Timer // the policy's delay, while waiting
	dialErr  error       // the last dial's error, handed over with dialedMsg (under Supervised.mu)
}

func (k *keeper) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		k.dial(ctx)
	case *actor.Terminated:
		k.wireEnded(ctx, m.Who)
	case restartMsg:
		if k.s.ending() {
			return
		}
		k.restarts = append(k.restarts, time.Now())
		k.dial(ctx)
	case dialedMsg:
		k.dialed(ctx)
	case *actor.Stopping:
		k.stopping()
	}
}

// dial runs the dial function on a goroutine that hands its outcome back
// with dialedMsg. The Supervised's Close and the interface's wait for it.
func (k *keeper) dial(ctx actor.Context) {
	s := k.s
	self := ctx.Self()
	s.dials.Add(1)
	s.i.procs.Add(1)
	go func() {
		defer s.i.procs.Done()
		defer s.dials.Done()
		w, err := s.dialOnce()
		if w == nil && err == nil {
			err = errNoWireDialled
		}
		s.mu.Lock()
		s.dialed, k.dialErr = w, err
		s.mu.Unlock()
		s.i.sys.Send(self, dialedMsg{})
	}()
}

// dialOnce calls the dial function, turning a panic into a failed dial
// (ErrDialPanicked): it runs on a goroutine of the library's, where a panic
// would end the program.
func (s *Supervised) dialOnce() (w *Wire, err error) {
	defer func() {
		if r := recover(); r != nil {
			if s.i.logger != nil {
				s.i.logger.Error("ipfi: Supervise's dial function panicked", "panic", r, "stack", string(debug.Stack()))
			}
			w, err = nil, fmt.Errorf("%w: %v", ErrDialPanicked, r)
		}
	}()
	return s.dial(s.ctx)
}

// dialed takes the outcome of a dial: the wire is up, or the failure is
// reported and the policy asked. Once the Supervised is closed, a wire
// made is left in Supervised.dialed for Close to close; once the
// interface is closing, the interface closes it.
func (k *keeper) dialed(ctx actor.Context) {
	s := k.s
	s.mu.Lock()
	w, err := s.dialed, k.dialErr
	if s.state == SupervisedClosed || s.ending() {
		s.mu.Unlock()
		return
	}
	s.dialed = nil
	if err != nil {
		s.setLocked(s.state, nil, err) // connecting or restarting, with its last failure
	} else {
		s.setLocked(SupervisedUp, w, nil)
	}
	s.mu.Unlock()
	if err != nil {
		k.cause = err
		s.emit(supervision.Event{Kind: supervision.Down, Err: err, Restarts: len(k.restarts)})
		k.next(ctx)
		return
	}
	k.wire = w
	ctx.Watch(w.w.PID())
	s.emit(supervision.Event{Kind: supervision.Up, Restarts: len(k.restarts)})
}

// wireEnded takes the end of the watched wire's actor (who).
func (k *keeper) wireEnded(ctx actor.Context, who *actor.PID) {
	s := k.s
	if k.wire == nil || !who.Equal(k.wire.w.PID()) || s.ending() {
		return
	}
	k.cause = k.wire.Err()
	k.wire = nil
	s.set(SupervisedRestarting, nil, k.cause)
	s.emit(supervision.Event{Kind: supervision.Down, Err: k.cause, Restarts: len(k.restarts)})
	k.next(ctx)
}

// next asks the policy: it gives up, or a restart comes after its delay.
func (k *keeper) next(ctx actor.Context) {
	s := k.s
	delay, ok := s.policy.Next(k.restarts, time.Now())
	if !ok {
		err := fmt.Errorf("%w after %d restarts: %w", ErrGaveUp, len(k.restarts), k.cause)
		s.set(SupervisedGaveUp, nil, err)
		s.emit(supervision.Event{Kind: supervision.GaveUp, Err: k.cause, Restarts: len(k.restarts)})
		return
	}
	self := ctx.Self()
	k.timer = time.AfterFunc(delay, func() { s.i.sys.Send(self, restartMsg{}) })
}

// stopping ends the keeper's work: its timer, a dial in progress (its
// context is cancelled), and the Supervised's life, which is closed if
// Close has not closed it (the interface's Close stopped the keeper).
func (k *keeper) stopping() {
	s := k.s
	if k.timer != nil {
		k.timer.Stop()
	}
	s.mu.Lock()
	s.setLocked(SupervisedClosed, s.cur, nil)
	s.mu.Unlock()
	s.cancel()
}
