package ipfi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ipfi-go/ipfi/supervision"
)

// ErrGaveUp is what a Supervised returns once its restart policy has given
// up; the error wraps the last failure.
var ErrGaveUp = errors.New("ipfi: supervised wire gave up restarting")

// WireEventKind says what happened to a supervised wire.
type WireEventKind int

const (
	// WireUp: a wire is up, the first or one made again.
	WireUp WireEventKind = iota + 1
	// WireDown: the wire ended (Err is its cause), or making it again
	// failed (Err is dial's error).
	WireDown
	// WireGaveUp: the restart policy gave up (Err is the last failure);
	// nothing is made again.
	WireGaveUp
)

// String returns "up", "down" or "gave up".
func (k WireEventKind) String() string {
	switch k {
	case WireUp:
		return "up"
	case WireDown:
		return "down"
	case WireGaveUp:
		return "gave up"
	}
	return fmt.Sprintf("WireEventKind(%d)", int(k))
}

// WireEvent is one change of a supervised wire, for a program to log.
type WireEvent struct {
	Kind     WireEventKind
	Err      error // WireDown, WireGaveUp: why
	Restarts int   // restarts made so far
}

// supState is where a Supervised is in its life: supUp, supRestarting
// (the wire ended; the policy's delay, then dial again) and the final
// supGaveUp and supClosed. Every change goes through Supervised.set.
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
type Supervised struct {
	i      *Interface
	dial   func(ctx context.Context) (*Wire, error)
	policy supervision.Restart
	events func(WireEvent)
	stop   chan struct{} // closed by Close
	ctx    context.Context
	cancel context.CancelFunc // ends a dial in progress (Close)

	mu      sync.Mutex
	state   supState
	cur     *Wire         // the wire while supUp
	err     error         // the last failure (supGaveUp)
	changed chan struct{} // closed and replaced at every change of state
	done    chan struct{} // closed when the supervising goroutine ends
}

// Supervise makes a wire with dial, now, and keeps it up under policy
// (see Supervised). events, if not nil, is called with every change, one
// at a time, on the supervising goroutine: it must not block for long.
// If the first dial fails, Supervise returns its error and supervises
// nothing.
func (i *Interface) Supervise(ctx context.Context, dial func(ctx context.Context) (*Wire, error), policy supervision.Restart, events func(WireEvent)) (*Supervised, error) {
	w, err := dial(ctx)
	if err != nil {
		return nil, err
	}
	s := &Supervised{
		i: i, dial: dial, policy: policy, events: events,
		stop: make(chan struct{}), cur: w, state: supUp,
		changed: make(chan struct{}), done: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.emit(WireEvent{Kind: WireUp})
	i.procs.Add(1)
	go func() {
		defer i.procs.Done()
		defer close(s.done)
		s.supervise(w)
	}()
	return s, nil
}

// set moves s to state (with its wire or failure) and wakes the waiters.
func (s *Supervised) set(state supState, w *Wire, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == supClosed {
		return
	}
	s.state, s.cur, s.err = state, w, err
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Supervised) emit(e WireEvent) {
	if s.events != nil {
		s.events(e)
	}
}

// ending reports whether s or its interface is closing.
func (s *Supervised) ending() bool {
	select {
	case <-s.stop:
		return true
	case <-s.i.closing:
		return true
	default:
		return false
	}
}

// supervise watches w and makes it again when it ends, until the policy
// gives up or s (or the interface) closes.
func (s *Supervised) supervise(w *Wire) {
	var restarts []time.Time
	for {
		select {
		case <-w.Done():
		case <-s.stop:
			_ = w.Close()
			return
		}
		if s.ending() {
			return
		}
		cause := w.Err()
		s.set(supRestarting, nil, nil)
		s.emit(WireEvent{Kind: WireDown, Err: cause, Restarts: len(restarts)})
		for w = nil; w == nil; {
			delay, ok := s.policy.Next(restarts, time.Now())
			if !ok {
				err := fmt.Errorf("%w after %d restarts: %w", ErrGaveUp, len(restarts), cause)
				s.set(supGaveUp, nil, err)
				s.emit(WireEvent{Kind: WireGaveUp, Err: cause, Restarts: len(restarts)})
				return
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-s.stop:
				t.Stop()
				return
			case <-s.i.closing:
				t.Stop()
				return
			}
			restarts = append(restarts, time.Now())
			nw, err := s.dial(s.ctx)
			if err != nil {
				cause = err
				s.emit(WireEvent{Kind: WireDown, Err: err, Restarts: len(restarts)})
				continue
			}
			if s.ending() {
				_ = nw.Close()
				return
			}
			w = nw
		}
		s.set(supUp, w, nil)
		s.emit(WireEvent{Kind: WireUp, Restarts: len(restarts)})
	}
}

// Wire returns the wire that is up, waiting while it is being made again
// (or until ctx ends); never a wire that has ended. Once the policy has given up it returns an error
// matching ErrGaveUp (and wrapping the last failure); once s is closed,
// ErrClosed.
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
			// Ending (its calls may have failed already): the
			// supervising goroutine has yet to see it.
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

// Close stops supervising and closes the wire that is up; it returns once
// the supervising goroutine has ended. Later calls do nothing.
func (s *Supervised) Close() error {
	s.mu.Lock()
	if s.state == supClosed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.state, s.cur = supClosed, nil
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	close(s.stop)
	s.cancel()
	<-s.done
	return nil
}
