package actors

import (
	"sync"
	"time"

	"github.com/ipfi-go/ipfi/internal/core"
)

// watchdog is a wire's timer (and, for a Dialed wire, the one-shot bound
// on its announcement: startAnnounce). Every period it reads what arrived and
// what was written since it last looked, and core.Liveness decides: it ends
// the wire that has waited too long on its peer (Timeouts): a peer that
// sent nothing since the wire began (handshake), a wire with no open call
// and no message (idle), a peer that did not answer a keepalive ping, a
// write that made no progress. A quiet wire whose peer speaks the
// extensions is pinged.
//
// The timer's function runs on a goroutine of its own, one tick at a time
// (the timer is re-armed at the end of a tick); a tick counts itself in
// the wire's goroutines unless the watchdog has stopped, so Close waits for
// a tick in progress. Each timeout is noticed within one period of its
// passing.
type watchdog struct {
	mu      sync.Mutex
	t       *time.Timer
	stopped bool
	// announce is a Dialed wire's bound on how long its announcement waits
	// to go out with other bytes (startAnnounce); nil for other wires.
	announce *time.Timer

	live core.Liveness // set by init; the tick's own after, one tick at a time
}

// init sets the watchdog's timeouts: the interface's, without the
// handshake and idle ones unless the wire was accepted from a listener.
func (d *watchdog) init(t Timeouts, accepted bool) {
	if !accepted {
		t.Handshake, t.Idle = 0, 0
	}
	d.live = core.NewLiveness(core.LivenessConfig{
		Handshake:         t.Handshake,
		Idle:              t.Idle,
		KeepaliveInterval: t.KeepaliveInterval,
		KeepaliveTimeout:  t.KeepaliveTimeout,
		Write:             t.Write,
	})
}

// start arms the timer, unless every timeout is off.
func (d *watchdog) start(w *Conn) {
	if d.live.Period() == 0 {
		return
	}
	d.mu.Lock()
	if !d.stopped {
		d.t = time.AfterFunc(d.live.Period(), func() { w.tick() })
	}
	d.mu.Unlock()
}

// startAnnounce arms, for a Dialed wire, the bound on how long its
// announcement waits to go out with other bytes (announceLate): after
// announceWait it is written on its own, so that a peer which speaks only
// once spoken to (one that does not announce), or which counts a silent
// dialer against its handshake timeout, hears it. Like a tick, the write
// counts itself in the wire's goroutines unless the watchdog has stopped.
func (d *watchdog) startAnnounce(w *Conn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	d.announce = time.AfterFunc(announceWait, func() {
		if !d.enter(w) {
			return
		}
		defer w.goroutines.done()
		w.out.flushSoon() // nothing pending once the announcement went out with other bytes
	})
}

// enter counts a timer's run in the wire's goroutines, so that Close waits
// for it, unless the watchdog has stopped: then it reports false and the
// run does nothing.
func (d *watchdog) enter(w *Conn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return false
	}
	w.goroutines.add()
	return true
}

// stop disarms the timers for good (terminate). A tick already counted in
// the wire's goroutines finishes; one that has not started does nothing.
func (d *watchdog) stop() {
	d.mu.Lock()
	d.stopped = true
	if d.t != nil {
		d.t.Stop()
	}
	if d.announce != nil {
		d.announce.Stop()
	}
	d.mu.Unlock()
}

// tick is one check of the watchdog, on the timer's goroutine.
func (w *Conn) tick() {
	d := &w.dog
	if !d.enter(w) {
		return
	}
	defer w.goroutines.done()
	switch cause := d.check(w); cause {
	case nil:
		d.mu.Lock()
		if !d.stopped {
			d.t.Reset(d.live.Period())
		}
		d.mu.Unlock()
	case ErrIdleTimeout:
		w.closeWith(cause) // nothing is going on: the peer is told
	default:
		w.terminate(cause)
	}
}

// check reads what happened since the last tick and returns why the wire
// must end, or nil. It sends a keepalive ping when one is due.
func (d *watchdog) check(w *Conn) error {
	o := core.Observed{Reads: w.reads.Load(), Msgs: w.msgs.Load()}
	o.NotReading = w.dispatching.Load()
	o.Busy = w.inOpen.Load() > 0 || w.idx.n.Load() > 0
	o.Writing, o.Writes = w.out.progress()
	o.PeerExt = w.peerExt()
	switch d.live.Check(o) {
	case core.LiveHandshakeTimeout:
		return ErrHandshakeTimeout
	case core.LiveWriteTimeout:
		return ErrWriteTimeout
	case core.LiveIdleTimeout:
		return ErrIdleTimeout
	case core.LiveKeepaliveTimeout:
		return ErrKeepaliveTimeout
	case core.LivePing:
		w.keepalivePing()
	}
	return nil
}
