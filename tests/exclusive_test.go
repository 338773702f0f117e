package tests

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// exclusivePair returns the two ends of a loopback TCP connection made into
// wires with WithExclusiveConn, as Dial's and Serve's are: wires whose
// readers read the socket through the poller on Linux.
func exclusivePair(t testing.TB, a, b *ipfi.Interface) (wa, wb *ipfi.Wire) {
	t.Helper()
	ca, cb := tcpPair(t)
	wa, err := a.Connect(ca, ca, ipfi.WithExclusiveConn())
	must(t, err)
	wb, err = b.Connect(cb, cb, ipfi.WithExclusiveConn())
	must(t, err)
	return wa, wb
}

// garbage is a frame no peer may send: a Call whose multiflag has the
// invalid terminator bits.
var garbage = []byte{byte(wire.KindCall), 0x80, 1, 0, 1, 0xc0}

// TestDialedWireEndsOnAMalformedFrame: a dialled wire whose peer sends a
// malformed frame ends with wire.ErrMalformed. The wire ends on its
// reader's goroutine, in the middle of a read: its socket must be closed
// without waiting for that read to return.
func TestDialedWireEndsOnAMalformedFrame(t *testing.T) {
	ctx := bounded(t, 10*time.Second)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	peer := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			_, err = c.Write(garbage)
			_, _ = io.Copy(io.Discard, c) // until the wire closes its end
			c.Close()
		}
		peer <- err
	}()
	client := newInterface(t)
	w, err := client.Dial(ctx, "tcp", l.Addr().String())
	must(t, err)
	select {
	case <-w.Done():
	case <-ctx.Done():
		t.Fatal("the wire did not end on a malformed frame")
	}
	if !errors.Is(w.Err(), wire.ErrMalformed) {
		t.Fatalf("the wire ended with %v, want wire.ErrMalformed", w.Err())
	}
	must(t, <-peer)
}

// TestServedWireEndsOnAMalformedFrame is the same for a wire Serve made:
// the peer learns of the end as its connection closes.
func TestServedWireEndsOnAMalformedFrame(t *testing.T) {
	server := newInterface(t)
	addr, _ := serveLoopback(t, server)
	c, err := net.Dial("tcp", addr)
	must(t, err)
	defer c.Close()
	must(t, c.SetDeadline(time.Now().Add(10*time.Second))) // a hang detector
	_, err = c.Write(garbage)
	must(t, err)
	if _, err := io.Copy(io.Discard, c); err != nil { // until the server closes
		t.Fatalf("the server did not close the connection: %v", err)
	}
}

// TestDialedWireSeesTheEndThatCameWithTheLastBytes: a peer makes a call,
// reads its answer, and then writes a second call and closes at once, so
// that its end of stream arrives with the call's bytes on a wire that has
// just read (a busy one, whose reader waits for the poller after a short
// read). The dialled wire answers both calls and ends with ErrPeerClosed:
// it notices the end, though the read that returned the last bytes did not
// tell of it.
func TestDialedWireSeesTheEndThatCameWithTheLastBytes(t *testing.T) {
	ctx := bounded(t, 10*time.Second)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	frame := func(k wire.Kind, call uint64, v int) []byte { return intFrame(t, k, call, v) }
	// The wire's first bytes: its announcements, then the first answer.
	first := append([]byte{byte(wire.KindAnnounce), byte(wire.KindAnnounce2)}, frame(wire.KindResponse, 0, 40)...)
	peer := make(chan error, 1)
	go func() { peer <- callThenCloseWrite(l, frame(wire.KindCall, 0, 20), first, frame(wire.KindCall, 1, 21)) }()
	client := newInterface(t)
	must(t, client.Register(1, procedures.Func1(func(_ context.Context, n int) (int, error) { return 2 * n, nil })))
	w, err := client.Dial(ctx, "tcp", l.Addr().String())
	must(t, err)
	select {
	case <-w.Done():
	case <-ctx.Done():
		t.Fatal("the wire did not notice its peer's end of stream")
	}
	if !errors.Is(w.Err(), ipfi.ErrPeerClosed) {
		t.Fatalf("the wire ended with %v, want ErrPeerClosed", w.Err())
	}
	must(t, <-peer)
}

// callThenCloseWrite accepts one connection on l, writes call, reads the
// bytes answer, writes last and ends its stream at once (CloseWrite), and
// reads on until the other side closes.
func callThenCloseWrite(l net.Listener, call, answer, last []byte) error {
	c, err := l.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := callAndRead(c, call, answer); err != nil {
		return err
	}
	if _, err := c.Write(last); err != nil {
		return err
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, c) // the last answer, until the wire closes
	return err
}

// TestExclusiveConnsReadBytesAsTheyTrickleIn: a wire made by Dial and one
// made by Serve, joined through a proxy that passes their bytes one at a
// time with pauses, answer calls and a stream. Nearly every read is short
// and finds one byte, so the readers go back to the poller after almost
// every read and piece each frame together across many of them.
func TestExclusiveConnsReadBytesAsTheyTrickleIn(t *testing.T) {
	ctx := bounded(t, 30*time.Second)
	server := newInterface(t)
	must(t, server.Register(1, procedures.Func1(func(_ context.Context, s string) (string, error) { return s + "!", nil })))
	must(t, server.Register(2, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
		for i := range n {
			if err := yield(i); err != nil {
				return err
			}
		}
		return nil
	})))
	addr, _ := serveLoopback(t, server)
	proxy := trickleProxy(t, addr)
	client := newInterface(t)
	w, err := client.Dial(ctx, "tcp", proxy)
	must(t, err)
	defer w.Close()
	for _, s := range []string{"a", "bb"} {
		var got string
		must(t, w.Call(ctx, 1, &got, s))
		if got != s+"!" {
			t.Fatalf("Call(%q) = %q", s, got)
		}
	}
	got, err := ipfi.Collect[int](ctx, w, 2, 5)
	must(t, err)
	if len(got) != 5 || got[4] != 4 {
		t.Fatalf("stream = %v, want 0..4", got)
	}
}

// trickleProxy listens on loopback and joins each connection it accepts to
// a new one to addr, passing the bytes of both directions one at a time,
// each in a write of its own after a short pause (pacing, so that bytes
// arrive apart). It returns its address; it stops with the test.
func trickleProxy(t testing.TB, addr string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", addr)
			if err != nil {
				in.Close()
				return
			}
			mu.Lock()
			conns = append(conns, in, out)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); trickleCopy(out, in) }()
			go func() { defer wg.Done(); trickleCopy(in, out) }()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// trickleCopy copies src to dst a byte per write, pausing before each,
// until either fails; then it closes both.
func trickleCopy(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	r := bufio.NewReader(src)
	for {
		b, err := r.ReadByte()
		if err != nil {
			return
		}
		time.Sleep(50 * time.Microsecond)
		if _, err := dst.Write([]byte{b}); err != nil {
			return
		}
	}
}

// TestClosingDialedWiresWhileTheyCall: wires made by Dial and Serve, each
// busy with calls both ways, are closed from either end or with the
// client's interface while their readers read: every wire ends, every call
// returns, each closed socket ends its peer's wire, and once both
// interfaces are closed no socket of theirs is left open (on Linux, where
// the readers close the sockets that terminate leaves to them).
func TestClosingDialedWiresWhileTheyCall(t *testing.T) {
	const wires = 24
	ctx := bounded(t, 30*time.Second)
	fds := openFiles(t)
	echo := procedures.Func1(func(_ context.Context, n int) (int, error) { return n, nil })
	server := newInterface(t)
	must(t, server.Register(1, echo))
	addr, stop := serveLoopback(t, server)
	client := mustNew(t)
	must(t, client.Register(1, echo))
	defer client.Close()
	var served []*ipfi.Wire
	var mu sync.Mutex
	must(t, server.Register(2, procedures.Func0(func(ctx context.Context) (int, error) {
		mu.Lock()
		served = append(served, ipfi.WireFrom(ctx))
		mu.Unlock()
		return 0, nil
	})))
	ws := make([]*ipfi.Wire, wires)
	for i := range ws {
		w, err := client.Dial(ctx, "tcp", addr)
		must(t, err)
		var n int
		must(t, w.Call(ctx, 2, &n)) // the server's end, for closing from there
		ws[i] = w
	}
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Add(1)
		go func() { // calls until the wire ends
			defer wg.Done()
			for n := 0; ; n++ {
				var got int
				if err := w.Call(ctx, 1, &got, n); err != nil {
					return
				}
			}
		}()
		if i%3 == 1 {
			wg.Add(1)
			go func() { // the server calls back too
				defer wg.Done()
				mu.Lock()
				sw := served[i]
				mu.Unlock()
				for n := 0; ; n++ {
					var got int
					if err := sw.Call(ctx, 1, &got, n); err != nil {
						return
					}
				}
			}()
		}
	}
	for i, w := range ws[:wires/2] {
		if i%2 == 0 {
			w.Close()
		} else {
			mu.Lock()
			sw := served[i]
			mu.Unlock()
			sw.Close()
		}
	}
	client.Close() // the rest
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for i, sw := range served {
		select {
		case <-sw.Done():
		case <-ctx.Done():
			t.Fatalf("served wire %d is still up after its peer closed", i)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("the calls did not all return")
	}
	must(t, server.Close())
	stop()
	if n := openFiles(t); n != fds {
		t.Fatalf("%d files open after both interfaces closed, %d before", n, fds)
	}
}

// openFiles returns how many files the process has open, or -1 where
// /proc/self/fd does not tell.
func openFiles(t testing.TB) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(es)
}

// TestClosingAnIdleDialedWire: Close of a dialled wire that waits for
// bytes from a peer that sends no more returns at once, and the peer sees
// the connection closed. The wire has answered the peer's one call, so its
// reader is inside RawConn.Read, waiting for the poller with no deadline
// (a socket that seldom brings bytes): Close must wake it, for the reader
// to close the socket.
func TestClosingAnIdleDialedWire(t *testing.T) {
	ctx := bounded(t, 10*time.Second)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	frame := func(k wire.Kind, v int) []byte { return intFrame(t, k, 0, v) }
	answer := append([]byte{byte(wire.KindAnnounce), byte(wire.KindAnnounce2)}, frame(wire.KindResponse, 40)...)
	peer := make(chan error, 1)
	answered := make(chan struct{})
	go func() {
		c, err := l.Accept()
		if err == nil {
			defer c.Close()
			err = callAndWait(c, frame(wire.KindCall, 20), answer, answered)
		}
		peer <- err
	}()
	client := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{Stop: 5 * time.Second}))
	must(t, client.Register(1, procedures.Func1(func(_ context.Context, n int) (int, error) { return 2 * n, nil })))
	w, err := client.Dial(ctx, "tcp", l.Addr().String())
	must(t, err)
	select {
	case <-answered:
	case err := <-peer:
		t.Fatalf("peer: %v", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- w.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Close did not return")
	}
	select {
	case err := <-peer:
		must(t, err)
	case <-ctx.Done():
		t.Fatal("the peer did not see the connection close")
	}
}

// callAndWait writes call to c, reads the bytes answer, closes answered,
// and reads on until c ends.
func callAndWait(c net.Conn, call, answer []byte, answered chan<- struct{}) error {
	if err := callAndRead(c, call, answer); err != nil {
		return err
	}
	close(answered)
	_, err := io.Copy(io.Discard, c) // a Termination, then the end
	return err
}

// callAndRead writes call to c and reads back exactly the bytes answer,
// within a bound (a hang detector).
func callAndRead(c net.Conn, call, answer []byte) error {
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	if _, err := c.Write(call); err != nil {
		return err
	}
	got := make([]byte, len(answer))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, answer) {
		return fmt.Errorf("got % x, want % x", got, answer)
	}
	return nil
}

// intFrame returns a Complete frame of kind k for procedure 1 and call
// carrying the int v.
func intFrame(t testing.TB, k wire.Kind, call uint64, v int) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	must(t, err)
	return wire.AppendFrame(nil, wire.Frame{Kind: k, Terminator: wire.TermComplete, Procedure: 1, Call: call, Payload: b})
}
