package ipfi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/supervision"
)

// ErrGaveUp is what a Supervised returns once its restart policy has given
// up; the error wraps the last failure.
var ErrGaveUp = errors.New("ipfi: supervised wire gave up restarting")

// supState is where a Supervised is in its life: supUp, supRestarting
// (the wire ended; the policy's delay, then dial again) and the final
// supGaveUp and supClosed. Every change goes through Supervised.setLocked
// (set takes the lock for it), which wakes the waiters of Supervised.Wire.
type supState int

const (
	supUp supState = iota
	supRestarting
	supGaveUp
	supClosed
)

// Supervised keeps a wire up: when the wire ends for any reason but its
// own Close or the interface's, it is made again with the dial function
// (a child process started again, an address dialled again) under a
// restart policy, and calls go on over the new wire. Calls pending on the
// wire that ended fail as on any wire (a *WireError with its cause); the
// interface's procedures serve the new wire at once. Its methods are safe
// for concurrent use.
//
// Its keeper is an actor under the interface root, beside the wires: it
// watches the wire's actor, and restarts it when that actor terminates
// (actors/STATES.md, "Supervised wire").
type Supervised struct {
	i      *Interface
	dial   func(ctx context.Context) (*Wire, error)
	policy supervision.Restart
	events func(supervision.Event)
	keeper *actor.PID
	ctx    context.Context
	cancel context.CancelFunc // ends a dial in progress (Close)
	dials  sync.WaitGroup     // dials in progress (keeper's goroutines)

	mu      sync.Mutex
	state   supState
	cur     *Wire         // the wire while supUp
	err     error         // the last failure (supGaveUp)
	dialed  *Wire         // a wire a dial made, until the keeper takes it
	changed chan struct{} // closed and replaced at every change of state
}

// Supervise makes a wire with dial, now, and keeps it up under policy
// (see Supervised). events, if not nil, is called with every change, one
// at a time, by the keeper: it must not block for long. If the first dial
// fails, Supervise returns its error and supervises nothing.
func (i *Interface) Supervise(ctx context.Context, dial func(ctx context.Context) (*Wire, error), policy supervision.Restart, events func(supervision.Event)) (*Supervised, error) {
	w, err := dial(ctx)
	if err != nil {
		return nil, err
	}
	s := &Supervised{
		i: i, dial: dial, policy: policy, events: events,
		cur: w, state: supUp, changed: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.emit(supervision.Event{Kind: supervision.Up})
	s.keeper, err = i.sys.SpawnChild("supervised", func() actor.Actor { return &keeper{s: s, wire: w} })
	if err != nil {
		s.cancel()
		_ = w.Close()
		return nil, err
	}
	return s, nil
}

// set moves s to state (with its wire or failure) and wakes the waiters.
func (s *Supervised) set(state supState, w *Wire, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setLocked(state, w, err)
}

// setLocked is set with s.mu held. Once s is closed it changes nothing.
func (s *Supervised) setLocked(state supState, w *Wire, err error) {
	if s.state == supClosed {
		return
	}
	s.state, s.cur, s.err = state, w, err
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Supervised) emit(e supervision.Event) {
	if s.events != nil {
		s.events(e)
	}
}

// ending reports whether s or its interface is closing.
func (s *Supervised) ending() bool {
	if s.ctx.Err() != nil {
		return true
	}
	select {
	case <-s.i.closing:
		return true
	default:
		return false
	}
}

// The keeper's messages.
type (
	restartMsg struct{} // the policy's delay has passed: dial again
	dialedMsg  struct{} // a dial has ended: its wire is in Supervised.dialed, or it failed with err
)

func (restartMsg) IgnoreDeadLetterLogging() {}
func (dialedMsg) IgnoreDeadLetterLogging()  {}

// keeper is a supervised wire's actor: it watches the wire's actor and,
// when it terminates, asks the policy, waits its delay and dials again (on
// a goroutine: a dial blocks), until the policy gives up or it is stopped.
type keeper struct {
	s        *Supervised
	wire     *Wire // the wire watched (nil while restarting)
	restarts []time.Time
	cause    error       // the last failure
	timer    *time.Timer // the policy's delay, while waiting
	dialErr  error       // the last dial's error, handed over with dialedMsg
}

func (k *keeper) Receive(ctx actor.Context) {
	s := k.s
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Watch(k.wire.w.PID())
	case *actor.Terminated:
		if k.wire == nil || !m.Who.Equal(k.wire.w.PID()) || s.ending() {
			return
		}
		k.cause = k.wire.Err()
		k.wire = nil
		s.set(supRestarting, nil, nil)
		s.emit(supervision.Event{Kind: supervision.Down, Err: k.cause, Restarts: len(k.restarts)})
		k.next(ctx)
	case restartMsg:
		if s.ending() {
			return
		}
		k.restarts = append(k.restarts, time.Now())
		self := ctx.Self()
		s.dials.Add(1)
		s.i.procs.Add(1) // the interface's Close waits for it too
		go func() {
			defer s.i.procs.Done()
			defer s.dials.Done()
			w, err := s.dial(s.ctx)
			s.mu.Lock()
			s.dialed, k.dialErr = w, err
			s.mu.Unlock()
			s.i.sys.Send(self, dialedMsg{})
		}()
	case dialedMsg:
		s.mu.Lock()
		w, err := s.dialed, k.dialErr
		if err == nil && s.state == supClosed {
			s.mu.Unlock()
			return // Close takes the wire from s.dialed and closes it
		}
		s.dialed = nil
		if err == nil {
			s.setLocked(supUp, w, nil)
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
	case *actor.Stopping:
		if k.timer != nil {
			k.timer.Stop()
		}
	}
}

// next asks the policy: it gives up, or a restart comes after its delay.
func (k *keeper) next(ctx actor.Context) {
	s := k.s
	delay, ok := s.policy.Next(k.restarts, time.Now())
	if !ok {
		err := fmt.Errorf("%w after %d restarts: %w", ErrGaveUp, len(k.restarts), k.cause)
		s.set(supGaveUp, nil, err)
		s.emit(supervision.Event{Kind: supervision.GaveUp, Err: k.cause, Restarts: len(k.restarts)})
		return
	}
	self := ctx.Self()
	k.timer = time.AfterFunc(delay, func() { s.i.sys.Send(self, restartMsg{}) })
}

// Wire returns the wire that is up, waiting while it is being made again
// (or until ctx ends); never a wire whose end has begun. Once the policy
// has given up it returns an error matching ErrGaveUp (and wrapping the
// last failure); once s is closed, ErrClosed.
func (s *Supervised) Wire(ctx context.Context) (*Wire, error) {
	for {
		s.mu.Lock()
		state, w, err, changed := s.state, s.cur, s.err, s.changed
		s.mu.Unlock()
		switch state {
		case supUp:
			if w.Err() == nil {
				return w, nil
			}
			// Ending (its calls may have failed already): the keeper
			// has yet to see it.
		case supGaveUp:
			return nil, err
		case supClosed:
			return nil, ErrClosed
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// Close stops supervising and closes the wire that is up (and one a dial
// in progress makes); it returns once they are closed. Later calls do
// nothing.
func (s *Supervised) Close() error {
	s.mu.Lock()
	if s.state == supClosed {
		s.mu.Unlock()
		return nil
	}
	s.setLocked(supClosed, s.cur, nil) // Close closes the wire that is up
	s.mu.Unlock()
	s.cancel()
	s.i.sys.StopChild(s.keeper)
	s.dials.Wait()
	s.mu.Lock()
	cur, dialed := s.cur, s.dialed
	s.cur, s.dialed = nil, nil
	s.mu.Unlock()
	for _, w := range []*Wire{cur, dialed} {
		if w != nil {
			_ = w.Close()
		}
	}
	return nil
}
