package ipfi

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/supervision"
)

var (
	// ErrGaveUp is what a Supervised returns once its restart policy has
	// given up; the error wraps the last failure (the wire's cause, or
	// the last dial's error).
	ErrGaveUp = errors.New("ipfi: supervised wire gave up restarting")
	// ErrNoDial: Supervise was given a nil dial function.
	ErrNoDial = errors.New("ipfi: Supervise needs a dial function")
	// ErrDialPanicked: a Supervised's dial function panicked. The dial
	// counts as failed: a supervision.Down event carries an error matching
	// it, with the panic's value, and the policy decides what follows
	// (the stack is logged at Error, with WithLogger).
	ErrDialPanicked = errors.New("ipfi: the dial function panicked")
)

// Supervised keeps a wire up: it makes one with its dial function (a
// child process started, an address dialled) and, whenever it ends for any
// reason but its own Close or the interface's, or a dial fails, makes
// another under a restart policy (supervision.Restart): the policy's
// delay, then a dial, until one succeeds or the policy gives up. The
// interface's procedures serve each new wire at once. Its methods are
// safe for concurrent use.
//
// It is a Caller: its Call, Stream and Open wait for the wire to be up,
// within their context (as Wire does), and then call through it, so
// ipfi.Call, Iter, Collect and the descriptors take it as they take a
// *Wire. A call is made on one wire and never retried: one pending when
// its wire ends fails as on any wire (a *WireError with its cause), and
// since its procedure may have run, making it again is the program's
// choice. State says, without blocking, where it is: connecting, up,
// restarting, gave up or closed.
//
// Its keeper is an actor under the interface root, beside the wires: it
// dials, watches the wire's actor, and dials again when that actor
// terminates (actors/STATES.md, "Supervised wire").
type Supervised struct {
	i      *Interface
	dial   func(ctx context.Context) (*Wire, error)
	policy supervision.Restart
	events func(supervision.Event)
	keeper *actor.PID
	// ctx is every dial's: it carries the values of Supervise's ctx and
	// is cancelled (cancel) by Close and as the keeper stops.
	ctx    context.Context
	cancel context.CancelFunc
	dials  sync.WaitGroup // dials in progress (the keeper's goroutines)

	mu      sync.Mutex
	state   SupervisedState
	closing bool          // Close has begun (it does its work once)
	cur     *Wire         // the wire while SupervisedUp; kept as it closes, for Close
	err     error         // the last failure, if any (wrapped in ErrGaveUp once SupervisedGaveUp)
	dialed  *Wire         // a wire a dial made, until the keeper takes it
	changed chan struct{} // closed and replaced at every change of state
}

// Supervise keeps a wire up under policy, making it with dial (see
// Supervised). It returns at once: the first dial runs in the background,
// and the calls made through the Supervised (and Wire) wait for the wire
// within their own contexts. A first dial that fails is retried as any
// later one is: it is reported (a supervision.Down event with the dial's
// error) and followed by the policy's delay and another dial; once the
// policy gives up, waiters and calls get an error matching ErrGaveUp that
// wraps the last failure.
//
// dial must make a wire of i (Connect, Dial, ConnectCmd, ...) or return
// an error. It is called on a goroutine of its own, one dial at a time,
// with a context that carries ctx's values but is not ended by ctx: it is
// cancelled by the Supervised's Close and the interface's. Supervise keeps
// nothing else of ctx and does not block on it. A dial that panics counts
// as a failed dial, with an error matching ErrDialPanicked.
//
// events, if not nil, is called with every change, one at a time, by the
// keeper: it must not block for long.
//
// Supervise fails only for what cannot work at all: a nil dial
// (ErrNoDial), a policy that supervision.Restart.Validate refuses (an
// error matching supervision.ErrInvalidPolicy), a closed interface
// (ErrClosed).
//
//	sup, err := host.Supervise(ctx, func(ctx context.Context) (*ipfi.Wire, error) {
//		return host.Dial(ctx, "tcp", "127.0.0.1:7071")
//	}, supervision.Restart{}, nil)
//	if err != nil {
//		return err
//	}
//	defer sup.Close()
//	greeting, err := greet.Hello.Call(ctx, sup, "John", "Doe") // waits for the wire within ctx
func (i *Interface) Supervise(ctx context.Context, dial func(ctx context.Context) (*Wire, error), policy supervision.Restart, events func(supervision.Event)) (*Supervised, error) {
	if dial == nil {
		return nil, ErrNoDial
	}
	if err := policy.Validate(); err != nil {
		return nil, fmt.Errorf("ipfi: Supervise: %w", err)
	}
	// The interface's Close waits for serving before it stops the actor
	// system: the keeper's root is up while it is spawned.
	i.mu.Lock()
	if i.closed {
		i.mu.Unlock()
		return nil, ErrClosed
	}
	i.serving.Add(1)
	i.mu.Unlock()
	defer i.serving.Done()

	s := &Supervised{
		i: i, dial: dial, policy: policy, events: events,
		state: SupervisedConnecting, changed: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	var err error
	s.keeper, err = i.sys.SpawnChild("supervised", func() actor.Actor { return &keeper{s: s} })
	if err != nil {
		s.cancel()
		return nil, err
	}
	return s, nil
}

// set moves s to state (with its wire or last failure) and wakes the
// waiters.
func (s *Supervised) set(state SupervisedState, w *Wire, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setLocked(state, w, err)
}

// setLocked is set with s.mu held: every change of s's state goes through
// it. Once s is closed it changes nothing.
func (s *Supervised) setLocked(state SupervisedState, w *Wire, err error) {
	if s.state == SupervisedClosed {
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

// view is s's state as State and Wire see it.
type view struct {
	state   SupervisedState
	w       *Wire         // the wire, SupervisedUp
	err     error         // the last failure, if any
	changed chan struct{} // closed at the next change
}

// look returns s's view: its state, except that a wire whose end has
// begun is restarting already, before the keeper has seen it end.
func (s *Supervised) look() view {
	s.mu.Lock()
	v := view{state: s.state, w: s.cur, err: s.err, changed: s.changed}
	s.mu.Unlock()
	if v.state == SupervisedUp {
		if cause := v.w.Err(); cause != nil {
			v = view{state: SupervisedRestarting, err: cause, changed: v.changed}
		}
	}
	return v
}

// State returns where s is in its life (see SupervisedState), at once. It
// is SupervisedRestarting as soon as the wire's end has begun. What it
// returns may be out of date as soon as it returns; Wire waits for a wire
// that is up.
func (s *Supervised) State() SupervisedState { return s.look().state }

// Wire returns the wire that is up, waiting while it is being made (or
// until ctx ends); never a wire whose end has begun. If ctx ends first, it
// returns an error matching ctx's cause that tells, in words, the last
// failure if there was one. Once the policy has given up it returns an
// error matching ErrGaveUp (and wrapping the last failure); once s is
// closed, ErrClosed. A nil *Supervised returns ErrNoWire.
func (s *Supervised) Wire(ctx context.Context) (*Wire, error) {
	if s == nil {
		return nil, ErrNoWire
	}
	for {
		v := s.look()
		switch v.state {
		case SupervisedUp:
			return v.w, nil
		case SupervisedGaveUp:
			return nil, v.err
		case SupervisedClosed:
			return nil, ErrClosed
		}
		select {
		case <-v.changed:
		case <-ctx.Done():
			if v.err == nil {
				return nil, context.Cause(ctx)
			}
			// The last failure in words only: the call did not fail on a wire.
			return nil, fmt.Errorf("%w (supervised wire %v; last failure: %v)", context.Cause(ctx), v.state, v.err)
		}
	}
}

// Close stops supervising and closes the wire that is up (and one a dial
// in progress makes: the dial's context is cancelled); it returns once
// they are closed. Later calls do nothing. The interface's Close closes
// its Supervised too.
func (s *Supervised) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	s.setLocked(SupervisedClosed, s.cur, nil) // Close closes the wire that is up
	s.mu.Unlock()
	s.cancel()
	select {
	case <-s.i.closing: // the root stops the keeper
	default:
		s.i.sys.StopChild(s.keeper)
	}
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
