package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/internal/vectors"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// batchCalls is how many calls a batch peer writes before ending its stream.
const batchCalls = 1000

// batchBytes returns batchCalls plain Call frames of procedure 1, call i
// with argument i: what a program given a file of calls (`program <
// calls`) reads before the end of its input.
func batchBytes(t testing.TB) []byte {
	t.Helper()
	var b []byte
	for i := range batchCalls {
		arg, err := msgpack.Marshal(i)
		must(t, err)
		b = wire.AppendFrame(b, wire.Frame{Kind: wire.KindCall, Terminator: wire.TermComplete, Procedure: 1, Call: uint64(i), Payload: arg})
	}
	return b
}

// batchServer returns an interface whose procedure 1 doubles an int, on a
// worker goroutine (not quick): its answers are written after the end of
// stream has been read.
func batchServer(t testing.TB) *ipfi.Interface {
	srv := newInterface(t)
	must(t, srv.Register(1, procedures.Func1(func(_ context.Context, n int) (int, error) { return 2 * n, nil })))
	return srv
}

// checkBatchAnswers reads everything the server wrote until it closed the
// stream and checks that each of the batch's calls has its answer.
func checkBatchAnswers(t *testing.T, out io.Reader) {
	t.Helper()
	got, err := io.ReadAll(out)
	if err != nil {
		t.Fatalf("reading the answers: %v", err)
	}
	answers := map[uint64]int{}
	d := wire.NewDecoder(0)
	err = d.Feed(got, func(f wire.Frame) error {
		if f.Kind != wire.KindResponse {
			return nil // the announcement, the Termination
		}
		if f.Procedure != 1 || f.Terminator != wire.TermComplete {
			return fmt.Errorf("unexpected response %v", f)
		}
		var n int
		if err := msgpack.Unmarshal(f.Payload, &n); err != nil {
			return err
		}
		answers[f.Call] = n
		return nil
	})
	if err != nil {
		t.Fatalf("parsing the answers: %v", err)
	}
	if len(answers) != batchCalls {
		t.Fatalf("%d of %d answers arrived (%d bytes)", len(answers), batchCalls, len(got))
	}
	for i := range uint64(batchCalls) {
		if answers[i] != 2*int(i) {
			t.Fatalf("call %d answered %d, want %d", i, answers[i], 2*i)
		}
	}
}

// pipeConn is a wire's transport made of two OS pipes, as a child
// process's stdio is: the read side ends on its own (end of stream) while
// the write side stays open.
type pipeConn struct {
	io.Reader
	io.Writer
	r, w *os.File
}

func (p *pipeConn) Close() error {
	p.r.Close()
	return p.w.Close()
}

// TestBatchThenEndOfStreamIsAnsweredOverAPipe: a peer writes 1,000 calls
// and ends its stream (closes its end of the pipe), as a program run as
// `program < calls` sees; every one of them is answered before the wire
// ends (its end of stream is a half-close).
func TestBatchThenEndOfStreamIsAnsweredOverAPipe(t *testing.T) {
	srv := batchServer(t)
	inR, inW, err := os.Pipe()
	must(t, err)
	outR, outW, err := os.Pipe()
	must(t, err)
	defer outR.Close()
	pc := &pipeConn{Reader: inR, Writer: outW, r: inR, w: outW}
	w, err := srv.Connect(pc, pc)
	must(t, err)
	writeErr := make(chan error, 1)
	go func() {
		_, err := inW.Write(batchBytes(t))
		inW.Close() // the end of the server's input
		writeErr <- err
	}()
	checkBatchAnswers(t, outR)
	must(t, <-writeErr)
	<-w.Done()
	if !errors.Is(w.Err(), ipfi.ErrPeerClosed) {
		t.Errorf("the wire ended with %v, want ErrPeerClosed", w.Err())
	}
}

// TestBatchThenCloseWriteIsAnsweredOverTCP: the same over TCP, the peer
// ending its stream with CloseWrite and reading on.
func TestBatchThenCloseWriteIsAnsweredOverTCP(t *testing.T) {
	srv := batchServer(t)
	addr, _ := serveLoopback(t, srv)
	c, err := net.Dial("tcp", addr)
	must(t, err)
	defer c.Close()
	writeErr := make(chan error, 1)
	go func() {
		_, err := c.Write(batchBytes(t))
		if cerr := c.(*net.TCPConn).CloseWrite(); err == nil {
			err = cerr
		}
		writeErr <- err
	}()
	must(t, c.SetReadDeadline(time.Now().Add(30*time.Second))) // a hang detector
	checkBatchAnswers(t, c)
	must(t, <-writeErr)
}

// halfClosedPair returns a wire of client's to server over TCP, and a
// function that ends the client's stream to the server (CloseWrite) while
// the client still reads.
func halfClosedPair(t *testing.T, client, server *ipfi.Interface) (wc, ws *ipfi.Wire, closeWrite func()) {
	t.Helper()
	ca, cb := tcpPair(t)
	wc, err := client.Connect(ca, ca)
	must(t, err)
	ws, err = server.Connect(cb, cb)
	must(t, err)
	return wc, ws, func() { must(t, ca.(*net.TCPConn).CloseWrite()) }
}

// TestEndOfStreamFailsThisSidesCallsAtOnce: when the peer's stream ends
// (here a peer writing bytes by hand ends it with CloseWrite, and reads
// on), a call this side made that is still waiting fails at once with
// ErrPeerClosed (the peer can no longer answer it), a new call and a Ping
// fail the same way, while a call the peer made runs on to its answer,
// which the peer receives; then the wire ends with ErrPeerClosed.
func TestEndOfStreamFailsThisSidesCallsAtOnce(t *testing.T) {
	ctx := bounded(t, 30*time.Second)
	server := newInterface(t)
	serverProc, answer := make(chan struct{}), make(chan struct{})
	must(t, server.Register(2, procedures.Func0(func(ctx context.Context) (int, error) {
		close(serverProc)
		select {
		case <-answer:
			return 42, nil
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	})))
	peer, cb := tcpPair(t)
	defer peer.Close()
	ws, err := server.Connect(cb, cb)
	must(t, err)
	serverCall, err := ws.Start(ctx, 1) // the peer never answers it
	must(t, err)
	_, err = peer.Write(wire.AppendFrame(nil, wire.Frame{Kind: wire.KindCall, Terminator: wire.TermComplete, Procedure: 2, Call: 7}))
	must(t, err)
	<-serverProc

	must(t, peer.(*net.TCPConn).CloseWrite())

	err = serverCall.Wait(ctx, new(string))
	if !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, ipfi.ErrPeerClosed) {
		t.Fatalf("the server's call after the peer's end of stream: %v, want ErrWireTerminated wrapping ErrPeerClosed", err)
	}
	if _, err := ws.Start(ctx, 1); !errors.Is(err, ipfi.ErrPeerClosed) {
		t.Errorf("a new call after the end of stream: %v, want ErrPeerClosed", err)
	}
	if _, err := ws.Ping(ctx); !errors.Is(err, ipfi.ErrPeerClosed) {
		t.Errorf("Ping after the end of stream: %v, want ErrPeerClosed", err)
	}
	select {
	case <-ws.Done():
		t.Fatalf("the server's wire ended (%v) while a call of the peer's was running", ws.Err())
	default:
	}
	close(answer)
	must(t, peer.SetReadDeadline(time.Now().Add(30*time.Second))) // a hang detector
	out, err := io.ReadAll(peer)
	must(t, err)
	var answered bool
	must(t, wire.NewDecoder(0).Feed(out, func(f wire.Frame) error {
		if f.Kind == wire.KindResponse && f.Procedure == 2 && f.Call == 7 {
			var n int
			answered = msgpack.Unmarshal(f.Payload, &n) == nil && n == 42
		}
		return nil
	}))
	if !answered {
		t.Errorf("the peer's call was not answered 42 after its end of stream: the server wrote %x", out)
	}
	<-ws.Done()
	if !errors.Is(ws.Err(), ipfi.ErrPeerClosed) {
		t.Errorf("the server's wire ended with %v, want ErrPeerClosed", ws.Err())
	}
}

// TestEndOfStreamGivesRunningCallsTheCloseGrace: a call of the peer's that
// does not return within the close grace after the peer's stream ended is
// cancelled, and the wire ends.
func TestEndOfStreamGivesRunningCallsTheCloseGrace(t *testing.T) {
	ctx := bounded(t, 30*time.Second)
	const grace = 100 * time.Millisecond
	client, server := newInterface(t), newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{CloseGrace: grace}))
	running, cause := make(chan struct{}), make(chan error, 1)
	must(t, server.Register(1, procedures.Func0(func(ctx context.Context) (int, error) {
		close(running)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return 0, context.Cause(ctx)
	})))
	wc, ws, closeWrite := halfClosedPair(t, client, server)
	call, err := wc.Start(ctx, 1)
	must(t, err)
	<-running
	start := time.Now()
	closeWrite()
	if err := <-cause; !errors.Is(err, ipfi.ErrPeerClosed) {
		t.Errorf("the procedure's context ended with %v, want ErrPeerClosed", err)
	}
	if d := time.Since(start); d < grace {
		t.Errorf("the procedure was cancelled %v after the end of stream, before the close grace (%v)", d, grace)
	}
	<-ws.Done()
	if err := call.Wait(ctx, new(int)); !errors.Is(err, ipfi.ErrWireTerminated) {
		t.Errorf("the client's call: %v, want ErrWireTerminated", err)
	}
}

// TestEndOfStreamCutsArgumentsShort: a call of the peer's whose arguments
// were still arriving in pieces when its stream ended never gets the rest:
// it does not run, and the wire ends at once (nothing is left open).
func TestEndOfStreamCutsArgumentsShort(t *testing.T) {
	ctx := bounded(t, 30*time.Second)
	client, server := newInterface(t), newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{CloseGrace: time.Minute}))
	ran := make(chan struct{}, 1)
	must(t, server.Register(1, procedures.Func1(func(_ context.Context, s string) (int, error) {
		ran <- struct{}{}
		return len(s), nil
	})))
	wc, ws, closeWrite := halfClosedPair(t, client, server)
	st, err := wc.Open(ctx, 1)
	must(t, err)
	must(t, st.Send(ctx, "a piece"))
	if _, err := wc.Ping(ctx); err != nil { // the server has taken the piece
		t.Fatal(err)
	}
	closeWrite()
	<-ws.Done() // before the minute's grace: no call was left open
	if !errors.Is(ws.Err(), ipfi.ErrPeerClosed) {
		t.Errorf("the server's wire ended with %v, want ErrPeerClosed", ws.Err())
	}
	select {
	case <-ran:
		t.Error("the procedure ran without the rest of its arguments")
	default:
	}
	st.Close()
}

// TestEndOfStreamFromAPeerThatClosedBothWays: a peer that closed its
// transport altogether ends the wire at once, as soon as there is an
// answer to write: the write fails, and the cause is still the peer's end
// of stream.
func TestEndOfStreamFromAPeerThatClosedBothWays(t *testing.T) {
	ctx := bounded(t, 30*time.Second)
	client, server := newInterface(t), newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{CloseGrace: time.Minute}))
	running, answer := make(chan struct{}), make(chan struct{})
	must(t, server.Register(1, procedures.Func0(func(ctx context.Context) (int, error) {
		close(running)
		<-answer
		return 1, nil
	})))
	clientRunning := make(chan struct{})
	must(t, client.Register(2, procedures.Func0(func(ctx context.Context) (int, error) {
		close(clientRunning)
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})))
	ca, cb := net.Pipe()
	wc, err := client.Connect(ca, ca)
	must(t, err)
	ws, err := server.Connect(cb, cb)
	must(t, err)
	if _, err := wc.Start(ctx, 1); err != nil {
		t.Fatal(err)
	}
	serverCall, err := ws.Start(ctx, 2)
	must(t, err)
	<-running
	<-clientRunning
	must(t, ca.Close()) // both directions: net.Pipe has no half-close
	// The server's own call fails once it has read the end of stream.
	if err := serverCall.Wait(ctx, new(int)); !errors.Is(err, ipfi.ErrPeerClosed) {
		t.Fatalf("the server's call: %v, want ErrPeerClosed", err)
	}
	close(answer) // its write fails
	<-ws.Done()   // before the minute's grace
	if !errors.Is(ws.Err(), ipfi.ErrPeerClosed) {
		t.Errorf("the server's wire ended with %v, want ErrPeerClosed", ws.Err())
	}
	<-wc.Done()
}

// TestEndOfInputBothWays: each side sends a batch of calls and then End of
// input; the other side notices it after the batch's calls have begun,
// answers them and, for the side that ends the session, shuts the wire
// down, after which every call of the batch has its answer.
func TestEndOfInputBothWays(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			ctx := bounded(t, 30*time.Second)
			host, module := newInterface(t), newInterface(t)
			double := procedures.Func1(func(_ context.Context, n int) (int, error) { return 2 * n, nil })
			must(t, host.Register(1, double))
			must(t, module.Register(1, double))
			wh, wm := connect(t, tr, host, module)

			// The module's batch to the host first: the host notices it.
			moduleCalls := startBatch(t, ctx, wm, 10)
			must(t, wm.SendEndOfInput(ctx))
			select {
			case <-wh.EndOfInput():
			case <-ctx.Done():
				t.Fatal("the host did not notice the module's End of input")
			}
			waitBatch(t, ctx, moduleCalls)

			// Then the host's batch: the module answers it and leaves.
			hostCalls := startBatch(t, ctx, wh, 100)
			must(t, wh.SendEndOfInput(ctx))
			select {
			case <-wm.EndOfInput():
			case <-ctx.Done():
				t.Fatal("the module did not notice the host's End of input")
			}
			must(t, wm.Shutdown(ctx))
			waitBatch(t, ctx, hostCalls)
			<-wh.Done()
			if !errors.Is(wh.Err(), ipfi.ErrPeerTerminated) {
				t.Errorf("the host's wire ended with %v, want ErrPeerTerminated (the module's Shutdown)", wh.Err())
			}
		})
	}
}

func startBatch(t *testing.T, ctx context.Context, w *ipfi.Wire, n int) []*ipfi.Pending {
	t.Helper()
	calls := make([]*ipfi.Pending, n)
	for i := range calls {
		var err error
		calls[i], err = w.Start(ctx, 1, i)
		must(t, err)
	}
	return calls
}

func waitBatch(t *testing.T, ctx context.Context, calls []*ipfi.Pending) {
	t.Helper()
	for i, c := range calls {
		var n int
		if err := c.Wait(ctx, &n); err != nil || n != 2*i {
			t.Fatalf("call %d of the batch: %d, %v", i, n, err)
		}
	}
}

// TestEndOfInputIsTheRustCratesByte: End of input crosses as the Rust
// crate's one byte (vector end_of_input), to a peer without the extensions
// too; and that peer's call followed by it (vector flush_end_after_call_p0,
// the crate's flush_end) is noticed once the call has begun: a Shutdown
// then answers the call (vector resp_p0) instead of refusing it.
func TestEndOfInputIsTheRustCratesByte(t *testing.T) {
	ctx := bounded(t, 30*time.Second)
	i := newInterface(t)
	must(t, i.Register(0, procedures.Func0(func(context.Context) (int8, error) { return 42, nil })))
	peer, c := net.Pipe()
	defer peer.Close()
	w, err := i.Connect(c, c, ipfi.WithPlain())
	must(t, err)
	sent := make(chan error, 1)
	go func() { sent <- w.SendEndOfInput(ctx) }()
	got := make([]byte, 1)
	_, err = io.ReadFull(peer, got)
	must(t, err)
	must(t, <-sent)
	if want := vectors.Get("end_of_input"); !bytes.Equal(got, want) {
		t.Fatalf("End of input went as %x, want %x", got, want)
	}
	go func() {
		_, err := peer.Write(vectors.Get("flush_end_after_call_p0"))
		sent <- err
	}()
	select {
	case <-w.EndOfInput():
	case <-ctx.Done():
		t.Fatal("End of input not noticed")
	}
	must(t, <-sent)
	shut := make(chan error, 1)
	go func() { shut <- w.Shutdown(ctx) }()
	out, err := io.ReadAll(peer) // until the wire closes the pipe
	must(t, err)
	must(t, <-shut)
	want := append(vectors.Get("resp_p0"), vectors.Get("termination")...)
	if !bytes.Equal(out, want) {
		t.Errorf("after End of input and Shutdown the peer read %x, want the answer and Termination %x", out, want)
	}
}

// TestPingAPeerThatEndedWithoutAWord: a peer whose stream ends before it
// sent anything did not say whether it speaks the extensions; Ping fails
// with the wire's end (ErrPeerClosed), not ErrNoExtensions (the random
// programs found this).
func TestPingAPeerThatEndedWithoutAWord(t *testing.T) {
	ctx := bounded(t, 30*time.Second)
	server := newInterface(t)
	peer, cb := tcpPair(t)
	defer peer.Close()
	ws, err := server.Connect(cb, cb)
	must(t, err)
	must(t, peer.(*net.TCPConn).CloseWrite())
	if _, err := ws.Ping(ctx); !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, ipfi.ErrPeerClosed) {
		t.Errorf("Ping: %v, want ErrWireTerminated wrapping ErrPeerClosed", err)
	}
}
