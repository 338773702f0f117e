package core

import (
	"testing"
	"time"
)

// TestLivenessPeriod: a wire is checked every half of its shortest timeout,
// each of the five counted, at least MinPeriod; never when all are off.
func TestLivenessPeriod(t *testing.T) {
	cases := []struct {
		name string
		cfg  LivenessConfig
		want time.Duration
	}{
		{"all off", LivenessConfig{}, 0},
		{"negative is off", LivenessConfig{Write: -time.Second, Idle: -1}, 0},
		{"handshake", LivenessConfig{Handshake: 10 * time.Second}, 5 * time.Second},
		{"idle", LivenessConfig{Idle: 2 * time.Minute}, time.Minute},
		{"keepalive interval", LivenessConfig{KeepaliveInterval: 30 * time.Second}, 15 * time.Second},
		{"keepalive timeout", LivenessConfig{KeepaliveTimeout: 20 * time.Second}, 10 * time.Second},
		{"write", LivenessConfig{Write: 40 * time.Millisecond}, 20 * time.Millisecond},
		{"the shortest", LivenessConfig{
			Handshake: 10 * time.Second, Idle: 2 * time.Minute,
			KeepaliveInterval: 30 * time.Second, KeepaliveTimeout: 6 * time.Second, Write: 10 * time.Second,
		}, 3 * time.Second},
		{"the shortest, listed first", LivenessConfig{
			Handshake: 10 * time.Second, Idle: 2 * time.Minute,
			KeepaliveInterval: 4 * time.Second, KeepaliveTimeout: 20 * time.Second, Write: 10 * time.Second,
		}, 2 * time.Second},
		{"a negative one aside", LivenessConfig{Write: -1, Idle: 30 * time.Millisecond}, 15 * time.Millisecond},
		{"odd", LivenessConfig{Idle: 15 * time.Millisecond}, 7500 * time.Microsecond},
		{"floor", LivenessConfig{Write: 4 * time.Millisecond, Idle: time.Minute}, MinPeriod},
		{"floor, tiny", LivenessConfig{KeepaliveTimeout: 3}, MinPeriod},
		{"at the floor", LivenessConfig{Handshake: 2 * MinPeriod}, MinPeriod},
		{"just above the floor", LivenessConfig{Handshake: 2*MinPeriod + 2}, MinPeriod + 1},
	}
	for _, c := range cases {
		l := NewLiveness(c.cfg)
		if got := l.Period(); got != c.want {
			t.Errorf("%s: period %v, want %v", c.name, got, c.want)
		}
	}
}

// step is one check: what was observed, and what it must decide.
type step struct {
	o    Observed
	want Verdict
}

// TestLivenessCheck drives Liveness through sequences of checks. The
// timeouts are multiples of the period, 2p the shortest (p = 10ms).
func TestLivenessCheck(t *testing.T) {
	const p = 10 * time.Millisecond
	var (
		none    = Observed{}
		ext     = Observed{PeerExt: true}
		parked  = Observed{NotReading: true}
		busy    = Observed{Busy: true}
		writing = Observed{Writing: true}
		read    = func(n uint64) Observed { return Observed{Reads: n} }
		readExt = func(n uint64) Observed { return Observed{Reads: n, PeerExt: true} }
		msg     = func(n uint64) Observed { return Observed{Msgs: n} }
		wrote   = func(n uint64, writing bool) Observed { return Observed{Writing: writing, Writes: n} }
	)
	keepalive := LivenessConfig{KeepaliveInterval: 2 * p, KeepaliveTimeout: 2 * p}
	cases := []struct {
		name  string
		cfg   LivenessConfig
		steps []step
	}{
		{"nothing on: never ends", LivenessConfig{}, []step{
			{none, LiveOK}, {writing, LiveOK}, {ext, LiveOK},
		}},

		// Handshake.
		{"handshake: nothing read", LivenessConfig{Handshake: 2 * p}, []step{
			{none, LiveOK}, {none, LiveHandshakeTimeout},
		}},
		{"handshake: something read", LivenessConfig{Handshake: 2 * p}, []step{
			{none, LiveOK}, {read(1), LiveOK}, {read(1), LiveOK}, {read(1), LiveOK},
		}},
		{"handshake: not reading is no excuse", LivenessConfig{Handshake: 2 * p}, []step{
			{parked, LiveOK}, {parked, LiveHandshakeTimeout},
		}},
		{"handshake: the wire's age, not quiet", LivenessConfig{Handshake: 3 * p, Idle: 2 * p}, []step{
			// Messages keep idle at bay; no byte was read.
			{msg(1), LiveOK}, {msg(2), LiveOK}, {msg(3), LiveHandshakeTimeout},
		}},

		// Write.
		{"write: no progress", LivenessConfig{Write: 2 * p}, []step{
			{wrote(0, true), LiveOK}, {wrote(0, true), LiveWriteTimeout},
		}},
		{"write: progress resets", LivenessConfig{Write: 2 * p}, []step{
			{wrote(0, true), LiveOK}, {wrote(1, true), LiveOK}, {wrote(1, true), LiveOK}, {wrote(1, true), LiveWriteTimeout},
		}},
		{"write: not writing is no stall", LivenessConfig{Write: 2 * p}, []step{
			{wrote(0, false), LiveOK}, {wrote(0, false), LiveOK}, {wrote(0, false), LiveOK},
		}},
		{"write: not writing resets", LivenessConfig{Write: 2 * p}, []step{
			{wrote(0, true), LiveOK}, {wrote(0, false), LiveOK}, {wrote(0, true), LiveOK}, {wrote(0, true), LiveWriteTimeout},
		}},
		{"write: writes done while not writing count", LivenessConfig{Write: 2 * p}, []step{
			{wrote(3, false), LiveOK}, {wrote(3, true), LiveOK}, {wrote(3, true), LiveWriteTimeout},
		}},

		// Idle.
		{"idle: nothing", LivenessConfig{Idle: 2 * p}, []step{
			{none, LiveOK}, {none, LiveIdleTimeout},
		}},
		{"idle: a message resets", LivenessConfig{Idle: 2 * p}, []step{
			{none, LiveOK}, {msg(1), LiveOK}, {msg(1), LiveOK}, {msg(1), LiveIdleTimeout},
		}},
		{"idle: a call open resets", LivenessConfig{Idle: 2 * p}, []step{
			{busy, LiveOK}, {busy, LiveOK}, {busy, LiveOK}, {none, LiveOK}, {none, LiveIdleTimeout},
		}},
		{"idle: reads that are no message (pongs) do not reset", LivenessConfig{Idle: 2 * p}, []step{
			{read(1), LiveOK}, {read(2), LiveIdleTimeout},
		}},

		// Keepalive.
		{"keepalive: ping, then timeout", keepalive, []step{
			{ext, LiveOK}, {ext, LivePing}, {ext, LiveOK}, {ext, LiveKeepaliveTimeout},
		}},
		{"keepalive: a read answers the ping", keepalive, []step{
			{ext, LiveOK}, {ext, LivePing}, {ext, LiveOK}, {readExt(1), LiveOK}, {readExt(1), LiveOK},
			{readExt(1), LivePing}, {readExt(1), LiveOK}, {readExt(1), LiveKeepaliveTimeout}, // counted from the second ping
		}},
		{"keepalive: reads keep it quiet", keepalive, []step{
			{readExt(1), LiveOK}, {readExt(2), LiveOK}, {readExt(3), LiveOK}, {readExt(4), LiveOK},
		}},
		{"keepalive: not reading is activity", keepalive, []step{
			{Observed{NotReading: true, PeerExt: true}, LiveOK},
			{Observed{NotReading: true, PeerExt: true}, LiveOK},
			{Observed{NotReading: true, PeerExt: true}, LiveOK},
			{ext, LiveOK}, {ext, LivePing},
		}},
		{"keepalive: not reading clears the ping", LivenessConfig{KeepaliveInterval: 2 * p}, []step{
			{ext, LiveOK}, {ext, LivePing}, {Observed{NotReading: true, PeerExt: true}, LiveOK},
			{ext, LiveOK}, {ext, LivePing},
		}},
		{"keepalive: one ping until something arrives", LivenessConfig{KeepaliveInterval: 2 * p}, []step{
			{ext, LiveOK}, {ext, LivePing}, {ext, LiveOK}, {ext, LiveOK}, {ext, LiveOK}, {ext, LiveOK},
		}},
		{"keepalive: a peer without the extensions is not pinged", keepalive, []step{
			{none, LiveOK}, {none, LiveOK}, {none, LiveOK}, {none, LiveOK},
		}},
		{"keepalive: the timeout counts from the ping", LivenessConfig{KeepaliveInterval: 2 * p, KeepaliveTimeout: 3 * p}, []step{
			{ext, LiveOK}, {ext, LivePing}, {ext, LiveOK}, {ext, LiveOK}, {ext, LiveKeepaliveTimeout},
		}},
		{"keepalive: the peer's extensions heard late", keepalive, []step{
			{none, LiveOK}, {none, LiveOK}, {none, LiveOK}, {ext, LivePing},
		}},

		// Precedence: handshake, write, idle, keepalive.
		{"handshake before the rest", LivenessConfig{Handshake: 2 * p, Write: 2 * p, Idle: 2 * p, KeepaliveInterval: 2 * p}, []step{
			{Observed{Writing: true, PeerExt: true}, LiveOK}, {Observed{Writing: true, PeerExt: true}, LiveHandshakeTimeout},
		}},
		{"write before idle and keepalive", LivenessConfig{Handshake: 2 * p, Write: 2 * p, Idle: 2 * p, KeepaliveInterval: 2 * p}, []step{
			{Observed{Reads: 1, Writing: true, PeerExt: true}, LiveOK}, {Observed{Reads: 1, Writing: true, PeerExt: true}, LiveWriteTimeout},
		}},
		{"idle before keepalive", LivenessConfig{Idle: 2 * p, KeepaliveInterval: 2 * p}, []step{
			{ext, LiveOK}, {ext, LiveIdleTimeout},
		}},
		{"idle before the keepalive timeout", LivenessConfig{Idle: 4 * p, KeepaliveInterval: 2 * p, KeepaliveTimeout: 2 * p}, []step{
			{ext, LiveOK}, {ext, LivePing}, {ext, LiveOK}, {ext, LiveIdleTimeout},
		}},
	}
	for _, c := range cases {
		l := NewLiveness(c.cfg)
		if c.cfg != (LivenessConfig{}) && l.Period() != p {
			t.Fatalf("%s: period %v, want %v", c.name, l.Period(), p)
		}
		for i, s := range c.steps {
			if got := l.Check(s.o); got != s.want {
				t.Errorf("%s: check %d (%+v): %v, want %v", c.name, i+1, s.o, got, s.want)
				break
			}
		}
	}
}

// TestLivenessNoticedInTime: a timeout is noticed at the first check at or
// after its length, which is before one and a half times it.
func TestLivenessNoticedInTime(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	cases := []struct {
		name string
		cfg  LivenessConfig
		o    Observed
		want Verdict
		d    time.Duration // the timeout that ends it
	}{
		{"handshake", LivenessConfig{Handshake: ms(35), Write: ms(20)}, Observed{}, LiveHandshakeTimeout, ms(35)},
		{"write", LivenessConfig{Write: ms(33), Idle: ms(12)}, Observed{Reads: 1, Busy: true, Writing: true}, LiveWriteTimeout, ms(33)},
		{"idle", LivenessConfig{Idle: ms(27), Write: ms(10)}, Observed{}, LiveIdleTimeout, ms(27)},
		{"idle, at the floor", LivenessConfig{Idle: ms(7)}, Observed{}, LiveIdleTimeout, ms(7)},
	}
	for _, c := range cases {
		l := NewLiveness(c.cfg)
		var at time.Duration
		for v := LiveOK; v != c.want; {
			if at > 10*c.d {
				t.Fatalf("%s: not noticed by %v", c.name, at)
			}
			v = l.Check(c.o)
			at += l.Period()
		}
		if at < c.d || at >= c.d+c.d/2 {
			t.Errorf("%s: a %v timeout noticed at %v (period %v)", c.name, c.d, at, l.Period())
		}
	}
}

// TestVerdictString: every verdict has a name of its own.
func TestVerdictString(t *testing.T) {
	seen := map[string]Verdict{}
	for v := LiveOK; v <= LiveKeepaliveTimeout; v++ {
		s := v.String()
		if s == "" || s == "Verdict(?)" {
			t.Errorf("verdict %d has no name: %q", v, s)
		}
		if w, ok := seen[s]; ok {
			t.Errorf("verdicts %d and %d are both %q", w, v, s)
		}
		seen[s] = v
	}
	if s := (LiveKeepaliveTimeout + 1).String(); s != "Verdict(?)" {
		t.Errorf("an unknown verdict is %q", s)
	}
}
