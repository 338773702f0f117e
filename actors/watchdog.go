package actors

import (
	"sync"
	"time"
)

// watchdog is a wire's one timer. It checks, every period, what arrived
// and what was written since it last looked, and ends the wire that has
// waited too long on its peer (Timeouts): a peer that sent nothing since
// the wire began (handshake), a wire with no open call and no message
// (idle), a peer that did not answer a keepalive ping, a write that made
// no progress. A quiet wire whose peer speaks the extensions is pinged.
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

	// Set once by init.
	cfg    Timeouts // the wire's: Handshake and Idle are 0 unless accepted
	period time.Duration

	// The tick's own, one tick at a time.
	age        time.Duration // since the wire began
	lastReads  uint64
	lastMsgs   uint64
	quiet      time.Duration // since something last arrived
	idle       time.Duration // since a message last arrived with no call open
	pinged     bool          // a keepalive ping is out and nothing arrived since
	sincePing  time.Duration
	lastWrites uint64
	stall      time.Duration // since a write in progress last made progress
}

// minPeriod bounds how often a watchdog ticks, however short its timeouts.
const minPeriod = 5 * time.Millisecond

// init sets the watchdog's timeouts: the interface's, without the
// handshake and idle ones unless the wire was accepted from a listener.
func (d *watchdog) init(t Timeouts, accepted bool) {
	if !accepted {
		t.Handshake, t.Idle = 0, 0
	}
	d.cfg = t
	// Half the shortest timeout: each is noticed between its length and
	// one and a half times it.
	var p time.Duration
	for _, v := range []time.Duration{t.KeepaliveInterval, t.KeepaliveTimeout, t.Write, t.Handshake, t.Idle} {
		if v > 0 && (p == 0 || v/2 < p) {
			p = v / 2
		}
	}
	if p > 0 {
		p = max(p, minPeriod)
	}
	d.period = p
}

// start arms the timer, unless every timeout is off.
func (d *watchdog) start(w *Conn) {
	if d.period == 0 {
		return
	}
	d.mu.Lock()
	if !d.stopped {
		d.t = time.AfterFunc(d.period, func() { w.tick() })
	}
	d.mu.Unlock()
}

// stop disarms the timer for good (terminate). A tick already counted in
// the wire's goroutines finishes; one that has not started does nothing.
func (d *watchdog) stop() {
	d.mu.Lock()
	d.stopped = true
	if d.t != nil {
		d.t.Stop()
	}
	d.mu.Unlock()
}

// tick is one check of the watchdog, on the timer's goroutine.
func (w *Conn) tick() {
	d := &w.dog
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	w.goroutines.add()
	d.mu.Unlock()
	defer w.goroutines.done()
	switch cause := d.check(w); cause {
	case nil:
		d.mu.Lock()
		if !d.stopped {
			d.t.Reset(d.period)
		}
		d.mu.Unlock()
	case ErrIdleTimeout:
		w.closeWith(cause) // nothing is going on: the peer is told
	default:
		w.terminate(cause)
	}
}

// check looks at what happened since the last tick and returns why the
// wire must end, or nil. It sends a keepalive ping when one is due.
func (d *watchdog) check(w *Conn) error {
	p := d.period
	d.age += p
	reads, msgs := w.reads.Load(), w.msgs.Load()
	if reads != d.lastReads || w.out.parked.Load() {
		// Something arrived; or this side is not reading (waitRoom),
		// which says nothing of the peer: a write that stalls ends the
		// wire instead.
		d.lastReads, d.quiet, d.pinged = reads, 0, false
	} else {
		d.quiet += p
	}
	if msgs != d.lastMsgs || w.inOpen.Load() > 0 || w.idx.n.Load() > 0 {
		d.lastMsgs, d.idle = msgs, 0
	} else {
		d.idle += p
	}
	writing, writes := w.out.progress()
	if writing && writes == d.lastWrites {
		d.stall += p
	} else {
		d.stall = 0
	}
	d.lastWrites = writes
	c := &d.cfg
	switch {
	case c.Handshake > 0 && reads == 0 && d.age >= c.Handshake:
		return ErrHandshakeTimeout
	case c.Write > 0 && d.stall >= c.Write:
		return ErrWriteTimeout
	case c.Idle > 0 && d.idle >= c.Idle:
		return ErrIdleTimeout
	}
	if c.KeepaliveInterval > 0 && w.peerExt() {
		switch {
		case d.pinged:
			if d.sincePing += p; c.KeepaliveTimeout > 0 && d.sincePing >= c.KeepaliveTimeout {
				return ErrKeepaliveTimeout
			}
		case d.quiet >= c.KeepaliveInterval:
			d.pinged, d.sincePing = true, 0
			w.keepalivePing()
		}
	}
	return nil
}
