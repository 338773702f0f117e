package tests

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// freezer relays bytes between two wires until frozen; from then on it
// reads what either side writes and drops it, delivering nothing and
// closing nothing: a peer or path that hangs without a FIN.
type freezer struct {
	frozen chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

// frozenPair connects a and b through a freezer and returns their wires.
func frozenPair(t *testing.T, a, b *ipfi.Interface) (wa, wb *ipfi.Wire, f *freezer) {
	t.Helper()
	a1, a2 := net.Pipe()
	b1, b2 := net.Pipe()
	f = &freezer{frozen: make(chan struct{})}
	relay := func(from, to net.Conn) {
		defer f.wg.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := from.Read(buf)
			if err != nil {
				return
			}
			select {
			case <-f.frozen:
				continue // dropped
			default:
			}
			if _, err := to.Write(buf[:n]); err != nil {
				return
			}
		}
	}
	f.wg.Add(2)
	go relay(a2, b2)
	go relay(b2, a2)
	t.Cleanup(func() {
		a2.Close()
		b2.Close()
		f.wg.Wait()
	})
	var err error
	wa, err = a.Connect(a1, a1)
	must(t, err)
	wb, err = b.Connect(b1, b1)
	must(t, err)
	return wa, wb, f
}

func (f *freezer) freeze() { f.once.Do(func() { close(f.frozen) }) }

// waitEnd waits (at most limit) for w to end and returns its cause and
// how long it took from start.
func waitEnd(t *testing.T, w *ipfi.Wire, start time.Time, limit time.Duration) (time.Duration, error) {
	t.Helper()
	select {
	case <-w.Done():
		return time.Since(start), w.Err()
	case <-time.After(limit):
		t.Fatalf("the wire did not end within %v", limit)
		return 0, nil
	}
}

// TestKeepaliveEndsWireToFrozenPeer: a wire whose peer stops answering
// without closing anything (the path drops every byte) ends with
// ErrKeepaliveTimeout within the keepalive interval and timeout (plus the
// watchdog's period), on both sides; while the path works, an idle wire
// stays up however long it idles, kept alive by its pings.
func TestKeepaliveEndsWireToFrozenPeer(t *testing.T) {
	const interval, timeout = 100 * time.Millisecond, 200 * time.Millisecond
	opt := ipfi.WithTimeouts(ipfi.Timeouts{KeepaliveInterval: interval, KeepaliveTimeout: timeout})
	a, b := newInterface(t, opt), newInterface(t, opt)
	must(t, b.Register(1, procedures.Func0(func(context.Context) (int, error) { return 1, nil })))
	wa, wb, f := frozenPair(t, a, b)

	// Idle for several keepalive rounds: pings are answered, the wire stays.
	if _, err := ipfi.Call[int](bounded(t, 5*time.Second), wa, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wa.Done():
		t.Fatalf("an idle wire whose peer answers its pings ended: %v", wa.Err())
	case <-time.After(4 * (interval + timeout)):
	}

	f.freeze()
	start := time.Now()
	limit := interval + timeout + interval // plus one period of the watchdog (half the shortest timeout), and slack
	for _, w := range []*ipfi.Wire{wa, wb} {
		took, cause := waitEnd(t, w, start, 5*time.Second)
		if !errors.Is(cause, ipfi.ErrKeepaliveTimeout) {
			t.Fatalf("wire to a frozen peer ended with %v, want ErrKeepaliveTimeout", cause)
		}
		t.Logf("ended %v after the freeze (bound %v + scheduling)", took, limit)
		if took > limit+time.Second {
			t.Fatalf("ended %v after the freeze, want about %v", took, limit)
		}
	}
}

// TestNoKeepaliveToPlainPeer: a peer that never announced the extensions
// (the Rust crate) is never pinged, and its wire does not end for lack of
// pongs: only the idle timeout applies to it.
func TestNoKeepaliveToPlainPeer(t *testing.T) {
	const interval = 20 * time.Millisecond
	i := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{KeepaliveInterval: interval, KeepaliveTimeout: interval}))
	w, peer := newRawPeer(t, i)
	peer.send(frame(wire.KindEndOfInput, 0, 0, 0, nil), false) // something, but no announcement
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(peer.r)
		got <- b
	}()
	select {
	case <-w.Done():
		t.Fatalf("the wire to a plain peer ended: %v", w.Err())
	case <-time.After(20 * interval):
	}
	must(t, w.Close())
	peer.r.Close()
	b := <-got
	// All the wire wrote after its announcement is its Termination.
	if !bytes.Equal(b, []byte{byte(wire.KindTermination)}) {
		t.Fatalf("the wire wrote %x to a plain peer, want only the Termination (00)", b)
	}
}

// TestWriteTimeoutEndsWireWhosePeerStopsReading: a peer that calls and
// never reads makes the writer stall; the wire ends with ErrWriteTimeout
// within the write timeout (plus the watchdog's period).
func TestWriteTimeoutEndsWireWhosePeerStopsReading(t *testing.T) {
	const timeout = 300 * time.Millisecond
	i := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{Write: timeout}))
	big := bytes.Repeat([]byte{'x'}, 64<<10)
	must(t, i.Register(1, procedures.Func0(func(context.Context) ([]byte, error) { return big, nil })))
	server, client := tcpPair(t)
	defer client.Close()
	w, err := i.Connect(server, server)
	must(t, err)
	// Calls whose answers fill the socket, the writer and more: never read.
	calls := []byte{byte(wire.KindAnnounce)}
	for n := range 200 {
		calls = append(calls, frame(wire.KindCall, wire.TermComplete, 1, uint64(n), nil)...)
	}
	start := time.Now()
	go client.Write(calls) // returns when the wire ends and closes its side
	took, cause := waitEnd(t, w, start, 10*time.Second)
	if !errors.Is(cause, ipfi.ErrWriteTimeout) {
		t.Fatalf("wire to a peer that does not read ended with %v, want ErrWriteTimeout", cause)
	}
	t.Logf("ended after %v (timeout %v)", took, timeout)
}

// TestCallerWriteHonoursItsDeadline: a caller whose peer stops reading
// returns at its context's deadline, however full the transport: it never
// blocks in Write itself (on TCP it writes what the socket takes without
// blocking; on net.Pipe, which cannot, a flusher goroutine writes).
func TestCallerWriteHonoursItsDeadline(t *testing.T) {
	for _, tr := range []transport{tcp, pipe} {
		t.Run(string(tr), func(t *testing.T) {
			i := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{Write: -1}))
			var ours, theirs net.Conn
			if tr == tcp {
				ours, theirs = tcpPair(t)
			} else {
				ours, theirs = net.Pipe()
			}
			defer theirs.Close() // never read
			w, err := i.Connect(ours, ours)
			must(t, err)
			const deadline = 300 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			big := bytes.Repeat([]byte{'a'}, 32<<20) // more than any socket buffer
			done := make(chan error, 1)
			start := time.Now()
			go func() {
				_, err := ipfi.Call[ipfi.Raw](ctx, w, 1, ipfi.Raw(big))
				done <- err
			}()
			select {
			case err := <-done:
				took := time.Since(start)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("call to a peer that never reads: %v, want DeadlineExceeded", err)
				}
				if took > deadline+time.Second {
					t.Fatalf("the call returned %v after it began, its deadline was %v", took, deadline)
				}
				t.Logf("returned after %v (deadline %v)", took, deadline)
			case <-time.After(deadline + 5*time.Second):
				t.Fatalf("the call did not return within 5 s of its %v deadline (blocked writing?)", deadline)
			}
			must(t, w.Close())
		})
	}
}

// acceptedPair serves i on loopback and returns a raw client connection to
// it and the interface's log records.
func dialServer(t *testing.T, opts ...ipfi.Option) (net.Conn, *records) {
	t.Helper()
	h := &records{}
	i := newInterface(t, append(opts, ipfi.WithLogger(slog.New(h)))...)
	must(t, i.Register(1, procedures.Func1(func(ctx context.Context, ms int) (int, error) {
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			return ms, nil
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	})))
	addr, _ := serveLoopback(t, i)
	c, err := net.Dial("tcp", addr)
	must(t, err)
	t.Cleanup(func() { c.Close() })
	return c, h
}

// readUntilClosed reads c until the server closes it (at most limit) and
// returns what it read and when it ended.
func readUntilClosed(t *testing.T, c net.Conn, limit time.Duration) ([]byte, time.Time) {
	t.Helper()
	must(t, c.SetReadDeadline(time.Now().Add(limit)))
	var buf bytes.Buffer
	_, err := io.Copy(&buf, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server did not close the connection within %v (read %x)", limit, buf.Bytes())
	}
	return buf.Bytes(), time.Now()
}

// loggedCause waits for... nothing: the wire logs its end before it closes
// its transport, so once the client has read the end the record is there.
func loggedCause(t *testing.T, h *records, want error) {
	t.Helper()
	got := h.ended()
	for _, g := range got {
		if strings.Contains(g, want.Error()) {
			return
		}
	}
	t.Fatalf("logged wire ends %q, want one with %q", got, want)
}

// TestHandshakeTimeout: a connection accepted by Serve that sends nothing
// is closed after the handshake timeout, and its end logged with
// ErrHandshakeTimeout; a wire made with Connect has no handshake timeout.
func TestHandshakeTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	opt := ipfi.WithTimeouts(ipfi.Timeouts{Handshake: timeout})
	// The server's timeout starts when it accepts, which may come before
	// the dial returns here: the time is taken before dialling.
	start := time.Now()
	c, h := dialServer(t, opt)
	got, end := readUntilClosed(t, c, 5*time.Second)
	if !bytes.Equal(got, announcements) {
		t.Fatalf("the server wrote %x before closing, want its announcements only", got)
	}
	t.Logf("closed %v after connecting (timeout %v)", end.Sub(start), timeout)
	if d := end.Sub(start); d < timeout {
		t.Fatalf("closed after %v, before the %v timeout", d, timeout)
	}
	loggedCause(t, h, ipfi.ErrHandshakeTimeout)

	i := newInterface(t, opt)
	w, _ := newRawPeer(t, i)
	select {
	case <-w.Done():
		t.Fatalf("a wire made with Connect ended: %v", w.Err())
	case <-time.After(4 * timeout):
	}
}

// TestIdleTimeout: a wire accepted by Serve with no call open that
// receives no message for the idle timeout is closed with a Termination
// message (the peer sees ErrPeerTerminated) and its end logged with
// ErrIdleTimeout; so is one whose peer sends a frame a byte at a time,
// too slowly to finish it; a call that stays open longer than the idle
// timeout keeps its wire up.
func TestIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	opt := ipfi.WithTimeouts(ipfi.Timeouts{Idle: idle, Handshake: -1})

	t.Run("quiet", func(t *testing.T) {
		server := newInterface(t, opt)
		addr, _ := serveLoopback(t, server)
		client := newInterface(t)
		w, err := client.Dial(bounded(t, 5*time.Second), "tcp", addr)
		must(t, err)
		start := time.Now()
		took, cause := waitEnd(t, w, start, 5*time.Second)
		if !errors.Is(cause, ipfi.ErrPeerTerminated) {
			t.Fatalf("the client's wire ended with %v, want ErrPeerTerminated (the server said goodbye)", cause)
		}
		t.Logf("closed after %v (idle timeout %v)", took, idle)
	})

	t.Run("one byte at a time", func(t *testing.T) {
		c, h := dialServer(t, opt)
		hdr := wire.AppendHeader([]byte{byte(wire.KindAnnounce)}, wire.KindCall, wire.TermComplete, 1, 0, 1<<20)
		_, err := c.Write(hdr)
		must(t, err)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // a byte of the payload every 20 ms: never a whole frame
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := c.Write([]byte{0}); err != nil {
						return
					}
				}
			}
		}()
		readUntilClosed(t, c, 5*time.Second)
		close(stop)
		wg.Wait()
		loggedCause(t, h, ipfi.ErrIdleTimeout)
	})

	t.Run("open call", func(t *testing.T) {
		c, h := dialServer(t, opt)
		client := newInterface(t)
		w, err := client.Connect(c, c)
		must(t, err)
		ms := int(3 * idle / time.Millisecond)
		got, err := ipfi.Call[int](bounded(t, 5*time.Second), w, 1, ms)
		if err != nil || got != ms {
			t.Fatalf("a call open for 3 idle timeouts: %v, %v", got, err)
		}
		if ended := h.ended(); len(ended) > 0 {
			t.Fatalf("a wire with a call open ended: %q", ended)
		}
	})
}

// TestParkedReaderEndsByWriteTimeout: when the wire stops reading because
// its peer, which calls and never reads, filled the writer, the watchdog
// does not take the silence for a dead peer (the keepalive timeout): this
// side is the one not reading. The wire ends with ErrWriteTimeout.
func TestParkedReaderEndsByWriteTimeout(t *testing.T) {
	i := newInterface(t,
		ipfi.WithLimits(ipfi.Limits{MaxOpenCalls: 4, MaxWriteQueue: 64 << 10}),
		ipfi.WithTimeouts(ipfi.Timeouts{KeepaliveInterval: 50 * time.Millisecond, KeepaliveTimeout: 100 * time.Millisecond, Write: time.Second}))
	blk := newBlocker()
	defer close(blk.release)
	must(t, i.Register(1, blk.unary()))
	server, client := tcpPair(t)
	defer client.Close()
	w, err := i.Connect(server, server)
	must(t, err)
	// Four calls that stay open, then calls over the open-call limit, each
	// answered with an error the peer never reads, until the wire stops
	// reading. It keeps sending until the wire ends (at most 10 s, and
	// 100 MiB): the wire's silence is its own, never the peer's, however
	// fast this side reads what it has sent so far.
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		if _, err := client.Write([]byte{byte(wire.KindAnnounce)}); err != nil {
			return
		}
		var batch []byte
		deadline := time.Now().Add(10 * time.Second)
		for n := 0; n < 20_000_000 && time.Now().Before(deadline); n += 1000 {
			batch = batch[:0]
			for i := range 1000 {
				batch = append(batch, frame(wire.KindCall, wire.TermComplete, 1, uint64(n+i), nil)...)
			}
			if _, err := client.Write(batch); err != nil {
				return // the wire ended and closed its side
			}
		}
	}()
	took, cause := waitEnd(t, w, time.Now(), 10*time.Second)
	client.Close()
	<-sent
	if !errors.Is(cause, ipfi.ErrWriteTimeout) {
		t.Fatalf("the wire ended with %v after %v, want ErrWriteTimeout", cause, took)
	}
}

// TestLongDispatchIsNotPeerSilence: while this side's reader is busy with
// a chunk it read (here a quick procedure that holds it 300 ms, standing
// for a chunk of thousands of frames under the race detector), this side
// is not reading, and the peer's silence says nothing of the peer: the
// keepalive, whose interval and timeout are far shorter, must not end the
// wire. The call is answered once the procedure returns.
func TestLongDispatchIsNotPeerSilence(t *testing.T) {
	const interval, timeout = 20 * time.Millisecond, 40 * time.Millisecond
	a := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{KeepaliveInterval: interval, KeepaliveTimeout: timeout}))
	b := newInterface(t)
	release := make(chan struct{})
	must(t, a.Register(1, procedures.Quick(procedures.Func0(func(ctx context.Context) (int, error) {
		select {
		case <-release:
			return 1, nil
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	}))))
	wa, wb := connect(t, tcp, a, b)
	ctx := bounded(t, 10*time.Second)
	if _, err := wa.Ping(ctx); err != nil { // the peer's announcement is in: pings go out
		t.Fatal(err)
	}
	answered := make(chan error, 1)
	go func() {
		_, err := ipfi.Call[int](ctx, wb, 1)
		answered <- err
	}()
	select {
	case <-wa.Done():
		close(release)
		<-answered
		t.Fatalf("the wire ended while its reader ran a quick procedure: %v", wa.Err())
	case <-time.After(300 * time.Millisecond): // several keepalive rounds
	}
	close(release)
	if err := <-answered; err != nil {
		t.Fatalf("the call failed: %v", err)
	}
}
