package actors

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi/wire"
)

// writeLog is a transport's writing side that hands each Write's bytes to
// the test, in order.
type writeLog struct{ writes chan []byte }

func (l *writeLog) Write(b []byte) (int, error) {
	select {
	case l.writes <- bytes.Clone(b):
	default: // the test has seen what it needs
	}
	return len(b), nil
}

// next returns the next Write's bytes, failing the test if none comes.
func (l *writeLog) next(t *testing.T, what string) []byte {
	t.Helper()
	select {
	case b := <-l.writes:
		return b
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing written: want %s", what)
		return nil
	}
}

// dialedWire makes a Dialed wire whose peer's bytes the test writes to
// the returned pipe, and whose own writes it reads from the log.
func dialedWire(t *testing.T) (*Conn, *io.PipeWriter, *writeLog) {
	t.Helper()
	sys := NewSystem(Config{})
	pr, pw := io.Pipe()
	out := &writeLog{writes: make(chan []byte, 16)}
	w, err := sys.Connect(pr, out, pr, WireOptions{Dialed: true})
	must(t, err)
	t.Cleanup(func() {
		pw.Close()
		must(t, sys.Close())
	})
	return w, pw, out
}

var announcements = []byte{byte(wire.KindAnnounce), byte(wire.KindAnnounce2)}

// TestDialedAnnouncementGoesWithTheFirstCall: a Dialed wire writes no
// announcement of its own; a first call with a deadline, which waits for
// the peer's, carries this side's in the same write.
func TestDialedAnnouncementGoesWithTheFirstCall(t *testing.T) {
	w, peer, out := dialedWire(t)
	waiting := make(chan struct{}, 1)
	setAwaitsAnnouncementsHook(t, func() { waiting <- struct{}{} })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started := make(chan error, 1)
	go func() {
		_, err := w.Start(ctx, 1, []byte{0xc0})
		started <- err
	}()
	<-waiting
	if _, err := peer.Write(announcements); err != nil {
		t.Fatal(err)
	}
	must(t, <-started)
	first := out.next(t, "the announcement and the call")
	if !bytes.HasPrefix(first, announcements) || len(first) == len(announcements) || wire.Kind(first[2]) != wire.KindDeadline {
		t.Fatalf("first write % x, want the announcement, the deadline and the call in one", first)
	}
}

// TestDialedWireAnnouncesOnceThePeerHas: a Dialed wire that makes no call
// writes its announcement once the peer's has arrived (the peer may be
// waiting for it before it calls with a deadline).
func TestDialedWireAnnouncesOnceThePeerHas(t *testing.T) {
	_, peer, out := dialedWire(t)
	if _, err := peer.Write(announcements); err != nil {
		t.Fatal(err)
	}
	if first := out.next(t, "the announcement"); !bytes.Equal(first, announcements) {
		t.Fatalf("first write % x, want the announcement % x", first, announcements)
	}
}

// TestDialedWireAnnouncesToASilentPeer: a Dialed wire whose peer says
// nothing (a peer that speaks only when spoken to, or that counts a
// silent dialer against its handshake timeout) writes its announcement on
// its own after announceWait.
func TestDialedWireAnnouncesToASilentPeer(t *testing.T) {
	_, _, out := dialedWire(t)
	if first := out.next(t, "the announcement"); !bytes.Equal(first, announcements) {
		t.Fatalf("first write % x, want the announcement % x", first, announcements)
	}
}
