package core

import "time"

// A wire's owner checks it every period (Liveness.Period) and ends it when
// it has waited too long on its peer. The owner keeps the timer and reads
// what happened (Observed); Liveness decides what that means (Verdict).

// MinPeriod bounds how often a wire is checked, however short its timeouts.
const MinPeriod = 5 * time.Millisecond

// LivenessConfig is how long a wire may wait on its peer, each condition
// separately; 0 (or less) turns that one off.
type LivenessConfig struct {
	// Handshake: the peer sent nothing since the wire began.
	Handshake time.Duration
	// Idle: no call open, either way, and no message other than a pong.
	Idle time.Duration
	// KeepaliveInterval: nothing arrived; a peer that speaks the
	// extensions is pinged.
	KeepaliveInterval time.Duration
	// KeepaliveTimeout: nothing arrived since the keepalive ping.
	KeepaliveTimeout time.Duration
	// Write: a write in progress made no progress.
	Write time.Duration
}

// Liveness is one wire's watchdog state: what the checks saw last, and how
// long each condition has lasted. Its owner calls Check once a period.
type Liveness struct {
	cfg    LivenessConfig
	period time.Duration

	age        time.Duration // since the wire began
	lastReads  uint64
	quiet      time.Duration // since something last arrived
	lastMsgs   uint64
	idle       time.Duration // since a message last arrived with no call open
	pinged     bool          // a keepalive ping is out and nothing arrived since
	sincePing  time.Duration
	lastWrites uint64
	stall      time.Duration // since a write in progress last made progress
}

// NewLiveness returns the state of a wire that has just begun, checked
// every half of its shortest timeout (at least MinPeriod): each timeout is
// noticed between its length and one and a half times it. Its period is 0
// when every timeout is off: the wire needs no checks.
func NewLiveness(cfg LivenessConfig) Liveness {
	var p time.Duration
	for _, v := range []time.Duration{cfg.KeepaliveInterval, cfg.KeepaliveTimeout, cfg.Write, cfg.Handshake, cfg.Idle} {
		if v > 0 && (p == 0 || v/2 < p) {
			p = v / 2
		}
	}
	if p > 0 {
		p = max(p, MinPeriod)
	}
	return Liveness{cfg: cfg, period: p}
}

// Period returns how long the owner waits between checks (0: none).
func (l *Liveness) Period() time.Duration { return l.period }

// Observed is what the owner of a wire saw at one check. The counts are
// totals since the wire began.
type Observed struct {
	Reads      uint64 // chunks read from the peer
	NotReading bool   // this side is not reading (a chunk is being handled, or its writer is full): silence says nothing of the peer
	Msgs       uint64 // messages read, pongs aside
	Busy       bool   // a call is open, either way
	Writing    bool   // a write to the transport is in progress
	Writes     uint64 // writes to the transport done
	PeerExt    bool   // the peer speaks the extensions: it may be pinged
}

// Verdict is what a check decided.
type Verdict uint8

const (
	// LiveOK: nothing to do until the next check.
	LiveOK Verdict = iota
	// LivePing: send the peer a keepalive ping now.
	LivePing
	// LiveHandshakeTimeout: the peer sent nothing in Handshake.
	LiveHandshakeTimeout
	// LiveWriteTimeout: a write made no progress in Write.
	LiveWriteTimeout
	// LiveIdleTimeout: the wire was idle for Idle; it is closed, and the
	// peer told.
	LiveIdleTimeout
	// LiveKeepaliveTimeout: nothing arrived in KeepaliveTimeout after a
	// keepalive ping.
	LiveKeepaliveTimeout
)

func (v Verdict) String() string {
	switch v {
	case LiveOK:
		return "ok"
	case LivePing:
		return "ping"
	case LiveHandshakeTimeout:
		return "handshake-timeout"
	case LiveWriteTimeout:
		return "write-timeout"
	case LiveIdleTimeout:
		return "idle-timeout"
	case LiveKeepaliveTimeout:
		return "keepalive-timeout"
	}
	return "Verdict(?)"
}

// Check accounts one period since the last check, given what the owner
// observed now, and returns what to do. When several timeouts are due, the
// first of handshake, write, idle and keepalive wins. A wire is pinged once
// nothing arrived for KeepaliveInterval, and again only after something
// arrived since.
func (l *Liveness) Check(o Observed) Verdict {
	p := l.period
	l.age += p
	if o.Reads != l.lastReads || o.NotReading {
		// A stalled write ends a wire that is not reading instead.
		l.lastReads, l.quiet, l.pinged = o.Reads, 0, false
	} else {
		l.quiet += p
	}
	if o.Msgs != l.lastMsgs || o.Busy {
		l.lastMsgs, l.idle = o.Msgs, 0
	} else {
		l.idle += p
	}
	if o.Writing && o.Writes == l.lastWrites {
		l.stall += p
	} else {
		l.stall = 0
	}
	l.lastWrites = o.Writes
	c := &l.cfg
	switch {
	case c.Handshake > 0 && o.Reads == 0 && l.age >= c.Handshake:
		return LiveHandshakeTimeout
	case c.Write > 0 && l.stall >= c.Write:
		return LiveWriteTimeout
	case c.Idle > 0 && l.idle >= c.Idle:
		return LiveIdleTimeout
	}
	if c.KeepaliveInterval <= 0 || !o.PeerExt {
		return LiveOK
	}
	switch {
	case l.pinged:
		if l.sincePing += p; c.KeepaliveTimeout > 0 && l.sincePing >= c.KeepaliveTimeout {
			return LiveKeepaliveTimeout
		}
	case l.quiet >= c.KeepaliveInterval:
		l.pinged, l.sincePing = true, 0
		return LivePing
	}
	return LiveOK
}
