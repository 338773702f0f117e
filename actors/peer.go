package actors

import (
	"context"
	"time"

	"github.com/ipfi-go/ipfi/wire"
)

// keepalivePing pings the peer without waiting (the watchdog's); nonce 0
// is never one of Ping's, so the pong wakes nobody: its arrival is what
// counts.
func (w *Conn) keepalivePing() {
	var b [wire.MaxHeaderLen]byte
	_ = w.out.raw(noWait, wire.AppendPing(b[:0], wire.KindPing, 0))
}

// PeerExtensions reports whether the peer has announced the extensions
// (error responses, cancel, flow control, ping) so far. A peer announces
// first thing, so this is settled once anything has arrived from it.
func (w *Conn) PeerExtensions() bool { return w.peerExt() }

// Ping sends the peer a ping and waits for its pong, returning the round
// trip time. Until the peer's first bytes have arrived it waits for them
// (they say whether the peer speaks the extensions). It fails with
// ErrNoExtensions if the peer did not announce the extensions, with a
// WireError if the wire ends first, or with ctx's error.
func (w *Conn) Ping(ctx context.Context) (time.Duration, error) {
	if w.quickOn(ctx) {
		return 0, ErrQuickCallback
	}
	if w.loadState() >= wireInputEnded {
		return 0, terminated(w.errOr(ErrPeerClosed)) // no pong can come
	}
	if !w.peerExt() {
		select {
		case <-w.heard:
		case <-w.inputDone: // nothing more will be heard: the wire is ending, or its input has
			return 0, terminated(w.errOr(ErrPeerClosed))
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
		if !w.peerExt() {
			return 0, ErrNoExtensions
		}
	}
	c := make(chan struct{})
	w.pingMu.Lock()
	w.pingN++
	nonce := w.pingN
	if w.pings == nil {
		w.pings = make(map[uint64]chan struct{})
	}
	w.pings[nonce] = c
	w.pingMu.Unlock()
	defer func() {
		w.pingMu.Lock()
		delete(w.pings, nonce)
		w.pingMu.Unlock()
	}()
	start := time.Now()
	var b [wire.MaxHeaderLen]byte
	if err := w.out.raw(ctx, wire.AppendPing(b[:0], wire.KindPing, nonce)); err != nil {
		if w.ctxEnded(ctx) {
			return 0, err
		}
		return 0, terminated(w.errOr(err))
	}
	select {
	case <-c:
		return time.Since(start), nil
	case <-w.inputDone: // no pong can come: the wire is ending, or its input has
		return 0, terminated(w.errOr(ErrPeerClosed))
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
}

// pong wakes the Ping waiting for nonce (wire actor).
func (w *Conn) pong(nonce uint64) {
	w.pingMu.Lock()
	if c := w.pings[nonce]; c != nil {
		close(c)
		delete(w.pings, nonce)
	}
	w.pingMu.Unlock()
}

// peerWait is how long a sender that needs to know whether the peer speaks
// the extensions waits for the peer's first bytes.
const peerWait = time.Second

// awaitPeer waits until the peer's first bytes have arrived (at most
// peerWait) and reports whether the peer speaks the extensions.
func (w *Conn) awaitPeer(ctx context.Context) bool {
	t := time.NewTimer(peerWait)
	defer t.Stop()
	select {
	case <-w.heard:
	case <-w.inputDone:
	case <-ctx.Done():
	case <-t.C:
	}
	return w.peerExt()
}

// announceWait bounds how long a call that carries metadata or a deadline
// waits for the peer's announcements on a fresh wire
// (awaitAnnouncements). A peer of this project announces as its wire is
// made, or, on a connection it dialed, once it has this side's
// announcement (Dialed), so against one the wait is at most a round trip; a
// peer that never announces (the Rust crate) costs the first such call of
// the wire this much, and it and every later call go without the
// extensions' messages.
const announceWait = time.Second

// awaitAnnouncements waits until the peer's announcements are over, so that
// a call with metadata or a deadline is not sent without them to a peer
// that speaks version 2 of the extensions (wire/PROTOCOL.md, "Version 2").
// It returns at once on a Plain wire and once the announcements are in;
// otherwise it waits at most announceWait (then the peer is taken for one
// that does not announce: no later call waits), until the peer's stream
// ends, or until ctx ends (then it returns ctx's cause).
func (w *Conn) awaitAnnouncements(ctx context.Context) error {
	if !w.ext {
		return nil
	}
	select {
	case <-w.settled:
		return nil
	default:
	}
	t := time.NewTimer(announceWait)
	defer t.Stop()
	w.awaiting.Add(1)
	defer w.awaiting.Add(-1)
	testHookAwaitsAnnouncements()
	select {
	case <-w.settled:
	case <-w.inputDone:
	case <-t.C:
		w.settle()
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return nil
}

// testHookAwaitsAnnouncements is called by awaitAnnouncements as it
// begins to wait (tests set it; see export_test.go).
var testHookAwaitsAnnouncements = func() {}

// announceLate has a Dialed wire's announcement written once the peer's
// announcements are over (by the parser, in the chunk that completed
// them): by the reader as it finishes the chunk, or by a flusher goroutine
// (flushSoon), unless a call is waiting for them, whose write then carries
// it (one that gives up instead leaves it to watchdog.startAnnounce). A peer that has announced may be waiting for this side's
// announcement before its own calls with a deadline go out. If the
// announcement is already written and nothing else is pending, nothing
// happens.
func (w *Conn) announceLate() {
	if w.dialed && w.awaiting.Load() == 0 {
		w.out.flushSoon()
	}
}

// settle records that the peer's announcements are over (or no longer
// awaited): calls with metadata or a deadline stop waiting for them.
func (w *Conn) settle() {
	if w.settledOnce.CompareAndSwap(false, true) {
		close(w.settled)
	}
}
