package tests

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// readFrames decodes frames from r, with version 2 of the extensions on,
// until it has n of them (it returns more if they came in the same read).
func readFrames(t *testing.T, r interface{ Read([]byte) (int, error) }, n int) []wire.Frame {
	t.Helper()
	d := wire.NewDecoder(0)
	d.SetExtensionVersion(2)
	var out []wire.Frame
	buf := make([]byte, 4096)
	for len(out) < n {
		m, err := r.Read(buf)
		if err != nil {
			t.Fatalf("reading frames: %v (have %d of %d)", err, len(out), n)
		}
		must(t, d.Feed(buf[:m], func(f wire.Frame) error {
			f.Payload = bytes.Clone(f.Payload)
			out = append(out, f)
			return nil
		}))
	}
	return out
}

// TestDeadlineCrossesTheWire: a caller's context deadline travels with its
// call to a peer that announced version 2 (a KindDeadline message right
// before the call), and becomes the deadline of the procedure's context;
// a procedure stopped by it is answered with CodeDeadline, which matches
// context.DeadlineExceeded; a call whose deadline passed on the way does
// not run; a peer that announced only version 1 is never sent one.
func TestDeadlineCrossesTheWire(t *testing.T) {
	started := make(chan struct{}, 10)
	server := newInterface(t)
	must(t, server.Register(1, procedures.Func0(func(ctx context.Context) (int64, error) {
		d, ok := ctx.Deadline()
		if !ok {
			return -1, nil
		}
		return int64(time.Until(d) / time.Millisecond), nil
	})))
	must(t, server.Register(2, procedures.Func0(func(ctx context.Context) (int, error) {
		started <- struct{}{}
		<-ctx.Done()
		return 0, ctx.Err()
	})))

	t.Run("between two peers", func(t *testing.T) { drainDeadlineBetweenPeers(t, server) })
	t.Run("answered deadline exceeded", func(t *testing.T) { drainDeadlineAnswered(t, server, started) })
	t.Run("caller's bytes", func(t *testing.T) {
		for _, v2 := range []bool{true, false} {
			drainDeadlineCallersBytes(t, v2)
		}
	})
}

// drainDeadlineBetweenPeers checks, on a wire to server (whose procedure 1
// returns the milliseconds left before its context's deadline, -1 for
// none), that a call's deadline becomes its procedure's, and that a call
// without one gives its procedure none.
func drainDeadlineBetweenPeers(t *testing.T, server *ipfi.Interface) {
	w, _ := connect(t, tcp, newInterface(t), server)
	_, err := w.Ping(bounded(t, 5*time.Second)) // the announcements are in
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	left, err := ipfi.Call[int64](ctx, w, 1)
	if err != nil || left <= 0 || left > 2000 {
		t.Fatalf("the procedure's deadline: %d ms left, %v; want in (0, 2000]", left, err)
	}
	if left, err := ipfi.Call[int64](bounded(t, 5*time.Second), w, 1); err != nil || left > 5000 {
		t.Fatalf("the procedure's deadline: %d ms left, %v", left, err)
	}
	if left, err := ipfi.Call[int64](context.Background(), w, 1); err != nil || left != -1 {
		t.Fatalf("a call without a deadline: %d, %v; want no deadline (-1)", left, err)
	}
}

// drainDeadlineAnswered checks, from a raw peer of server (whose procedure
// 2 reports on started, then waits for its context to end), that a call
// stopped by its deadline is answered with CodeDeadline, that a call
// whose deadline passed on the way is answered so without running, and
// that CodeDeadline matches context.DeadlineExceeded.
func drainDeadlineAnswered(t *testing.T, server *ipfi.Interface, started <-chan struct{}) {
	_, peer := newRawPeer(t, server)
	peer.send(announcements, false)
	peer.send(wire.AppendDeadline(nil, 2, 0, 100), false)
	peer.send(frame(wire.KindCall, wire.TermComplete, 2, 0, nil), false)
	<-started
	f := readFrames(t, peer.r, 1)[0]
	if b, err := wire.ParseErrorBody(f); f.Kind != wire.KindError || err != nil || b.Code != wire.CodeDeadline || f.Call != 0 {
		t.Fatalf("answer to a call whose deadline passed: %v %+v, want an Error with CodeDeadline", f.Kind, b)
	}
	// A deadline that passed on the way: answered at once, not run.
	peer.send(wire.AppendDeadline(nil, 2, 1, 0), false)
	peer.send(frame(wire.KindCall, wire.TermComplete, 2, 1, nil), false)
	f = readFrames(t, peer.r, 1)[0]
	if b, _ := wire.ParseErrorBody(f); f.Kind != wire.KindError || b.Code != wire.CodeDeadline || f.Call != 1 {
		t.Fatalf("answer to a call with 0 ms left: %v %+v, want an Error with CodeDeadline", f.Kind, b)
	}
	select {
	case <-started:
		t.Fatal("a call with 0 ms left ran")
	default:
	}
	err := error(&ipfi.RemoteError{Code: ipfi.CodeDeadline})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("CodeDeadline does not match context.DeadlineExceeded")
	}
}

// drainDeadlineCallersBytes checks the bytes a caller writes for a call
// with a deadline to a raw peer that announced version 2 (v2: a deadline
// of at most the call's, then the call) or only version 1 (the call
// alone), and that the call then takes the peer's answer.
func drainDeadlineCallersBytes(t *testing.T, v2 bool) {
	w, peer := newRawPeer(t, newInterface(t))
	if v2 {
		peer.send(announcements, false)
	} else {
		peer.send([]byte{byte(wire.KindAnnounce)}, false)
	}
	pinged := make(chan error, 1)
	go func() { _, err := w.Ping(bounded(t, 5*time.Second)); pinged <- err }()
	ping := readFrames(t, peer.r, 1)[0] // the peer's bytes are in
	peer.send(wire.AppendPing(nil, wire.KindPong, ping.Call), false)
	must(t, <-pinged)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	p, err := w.Start(ctx, 4)
	must(t, err)
	var got []wire.Frame
	if v2 {
		got = readFrames(t, peer.r, 2)
		ms, err := wire.ParseDeadline(got[0])
		if err != nil || got[0].Procedure != 4 || got[0].Call != 0 || ms == 0 || ms > 1500 {
			t.Fatalf("first frame to a version 2 peer: %v p%d c%d %d ms (%v), want a deadline of at most 1500 ms for call 4/0",
				got[0].Kind, got[0].Procedure, got[0].Call, ms, err)
		}
		got = got[1:]
	} else {
		got = readFrames(t, peer.r, 1)
	}
	if got[0].Kind != wire.KindCall || got[0].Procedure != 4 {
		t.Fatalf("v2=%v: frame %v, want the call", v2, got[0].Kind)
	}
	peer.send(frame(wire.KindResponse, wire.TermComplete, 4, 0, []byte{1}), false)
	var v int
	must(t, p.Wait(ctx, &v))
	cancel()
}

// TestShutdown: Interface.Shutdown stops accepting (Serve returns
// ErrShutdown), has new calls fail with an error matching ErrShutdown
// (told to a peer of this library, refused without running otherwise),
// lets open calls finish, and closes; one whose context ends first
// closes all the same and returns the context's cause.
func TestShutdown(t *testing.T) {
	t.Run("drains", drainShutdownDrains)
	t.Run("context ends first", drainShutdownContextEnds)
	t.Run("plain peer", drainShutdownPlainPeer)
}

// drainShutdownDrains checks Shutdown with a call open and no context end:
// Serve returns ErrShutdown, new calls fail with ErrShutdown, Shutdown
// waits for the open call, which finishes, then closes every wire and
// takes no new one.
func drainShutdownDrains(t *testing.T) {
	blk := newBlocker()
	server := mustNew(t)
	defer server.Close()
	must(t, server.Register(1, blk.unary()))
	must(t, server.Register(2, procedures.Func0(func(context.Context) (int, error) { return 2, nil })))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }()
	client := newInterface(t)
	w, err := client.Dial(bounded(t, 5*time.Second), "tcp", l.Addr().String())
	must(t, err)
	ctx := bounded(t, 10*time.Second)
	if _, err := ipfi.Call[int](ctx, w, 2); err != nil {
		t.Fatal(err)
	}
	open, err := w.Start(ctx, 1)
	must(t, err)
	<-blk.started

	shut := make(chan error, 1)
	go func() { shut <- server.Shutdown(ctx) }()
	if err := <-served; !errors.Is(err, ipfi.ErrShutdown) {
		t.Fatalf("Serve during Shutdown returned %v, want ErrShutdown", err)
	}
	// New calls fail: at once once the go-away has arrived, or
	// refused by the server before.
	for {
		_, err := ipfi.Call[int](ctx, w, 2)
		if errors.Is(err, ipfi.ErrShutdown) {
			break
		}
		if err != nil {
			t.Fatalf("a new call during Shutdown: %v, want ErrShutdown", err)
		}
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with a call open", err)
	default:
	}
	close(blk.release)
	var v int
	if err := open.Wait(ctx, &v); err != nil || v != 1 {
		t.Fatalf("the call open when Shutdown began: %v, %v; want it to finish", v, err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	<-w.Done()
	if _, err := server.Dial(ctx, "tcp", l.Addr().String()); err == nil {
		t.Fatal("the server took a wire after Shutdown")
	}
}

// drainShutdownContextEnds checks Shutdown whose context ends before the
// open call finishes: it returns the context's cause, and the call ends
// with the wire.
func drainShutdownContextEnds(t *testing.T) {
	blk := newBlocker()
	defer close(blk.release)
	server := mustNew(t)
	defer server.Close()
	must(t, server.Register(1, blk.unary()))
	w, _ := connect(t, pipe, newInterface(t), server)
	ctx := bounded(t, 10*time.Second)
	open, err := w.Start(ctx, 1)
	must(t, err)
	<-blk.started
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := server.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown whose context ended: %v, want DeadlineExceeded", err)
	}
	var v int
	if err := open.Wait(ctx, &v); !errors.Is(err, ipfi.ErrWireTerminated) {
		t.Fatalf("the call still open: %v, want a WireError", err)
	}
}

// drainShutdownPlainPeer checks Shutdown of a wire to a plain peer: its
// calls are refused with an empty response, or end with the wire.
func drainShutdownPlainPeer(t *testing.T) {
	server := mustNew(t)
	defer server.Close()
	must(t, server.Register(2, procedures.Func0(func(context.Context) (int, error) { return 2, nil })))
	ca, cb := tcpPair(t)
	w, err := newInterface(t).Connect(ca, ca, ipfi.WithPlain())
	must(t, err)
	sw, err := server.Connect(cb, cb)
	must(t, err)
	ctx := bounded(t, 10*time.Second)
	go sw.Shutdown(ctx)
	for {
		_, err := ipfi.Call[int](ctx, w, 2)
		if errors.Is(err, ipfi.ErrRemote) || errors.Is(err, ipfi.ErrWireTerminated) {
			break // refused with an empty response, or the wire closed
		}
		if err != nil {
			t.Fatalf("a call to a draining wire from a plain peer: %v", err)
		}
	}
}

// TestCloseBoundsProceduresThatIgnoreTheirContext: Close waits for
// procedures at most Timeouts.Stop, then returns an error matching
// ErrStopTimeout saying how many goroutines are left.
func TestCloseBoundsProceduresThatIgnoreTheirContext(t *testing.T) {
	const stop = 200 * time.Millisecond
	stuck := make(chan struct{})
	started := make(chan struct{})
	server := mustNew(t, ipfi.WithTimeouts(ipfi.Timeouts{Stop: stop}))
	must(t, server.Register(1, procedures.Func0(func(context.Context) (int, error) {
		close(started)
		<-stuck // ignores its context
		return 1, nil
	})))
	w, _ := connect(t, pipe, newInterface(t), server)
	_, err := w.Start(bounded(t, 10*time.Second), 1)
	must(t, err)
	<-started
	begin := time.Now()
	err = server.Close()
	took := time.Since(begin)
	close(stuck)
	if !errors.Is(err, ipfi.ErrStopTimeout) {
		t.Fatalf("Close with a procedure ignoring its context: %v, want ErrStopTimeout", err)
	}
	if took > stop+2*time.Second {
		t.Fatalf("Close took %v, want about %v (plus the close grace)", took, stop)
	}
	t.Logf("Close returned after %v: %v", took, err)
}

// TestNoVersion2MessagesToPlainPeer: a peer that never announced the
// extensions is sent neither a deadline with a call nor a go-away when the
// wire shuts down: after the announcements, only the call and the
// Termination message.
func TestNoVersion2MessagesToPlainPeer(t *testing.T) {
	w, peer := newRawPeer(t, newInterface(t))
	peer.send(frame(wire.KindEndOfInput, 0, 0, 0, nil), false) // something, but no announcement
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := w.Start(ctx, 4)
	must(t, err)
	call := frame(wire.KindCall, wire.TermComplete, 4, 0, nil)
	peer.expectBytes("the call, without a deadline before it", call)
	peer.send(frame(wire.KindResponse, wire.TermComplete, 4, 0, []byte{1}), false)
	var v int
	must(t, p.Wait(ctx, &v))
	rest := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 64)
		for {
			n, err := peer.r.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				rest <- b.Bytes()
				return
			}
		}
	}()
	must(t, w.Shutdown(ctx))
	peer.r.Close()
	if got := <-rest; !bytes.Equal(got, []byte{byte(wire.KindTermination)}) {
		t.Fatalf("after the call the wire wrote %x to a plain peer as it shut down, want only the Termination (00)", got)
	}
}
