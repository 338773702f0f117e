package guest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/guest"
	"github.com/ipfi-go/ipfi/internal/vectors"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func bounded(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// guestProcedures registers the procedures of the vectors file's callee
// (0 to 4), and a few of the guest's own: 10 fails, 11 calls the host's
// procedure 20 back, 12 is a sequence of n values of 1 KiB, 13 calls the
// host's procedure 21, 14 sends End of input, 15 reports its deadline and
// metadata.
func guestProcedures(t testing.TB) *procedures.Registry {
	reg := procedures.NewRegistry()
	must(t, reg.Register(0, procedures.Func0(func(context.Context) (uint32, error) { return 42, nil })))
	must(t, reg.Register(1, procedures.Func2(func(_ context.Context, a, b string) (string, error) {
		return fmt.Sprintf("Hello, %s %s!", a, b), nil
	})))
	must(t, reg.Register(3, procedures.Sequence1(func(_ context.Context, n uint32, yield func(uint32) error) error {
		for i := range n {
			if err := yield(i); err != nil {
				return err
			}
		}
		return nil
	})))
	must(t, reg.Register(4, procedures.Func2(func(_ context.Context, a, b int64) (int64, error) { return a + b, nil })))
	must(t, reg.Register(10, procedures.Func0(func(context.Context) (int, error) { return 0, errors.New("boom") })))
	must(t, reg.Register(11, procedures.Func1(func(ctx context.Context, n int) (int, error) {
		doubled, err := guest.Call[int](ctx, 20, n)
		return doubled + 1, err
	})))
	must(t, reg.Register(12, procedures.Sequence1(func(_ context.Context, n int, yield func([]byte) error) error {
		for i := range n {
			v := bytes.Repeat([]byte{byte(i)}, 1<<10)
			if err := yield(v); err != nil {
				return err
			}
		}
		return nil
	})))
	must(t, reg.Register(13, procedures.Func0(func(ctx context.Context) (int, error) {
		return guest.Call[int](ctx, 21)
	})))
	must(t, reg.Register(14, procedures.Func0(func(ctx context.Context) (string, error) {
		return "over", guest.SendEndOfInput(ctx)
	})))
	must(t, reg.Register(15, procedures.Func0(func(ctx context.Context) (string, error) {
		_, hasDeadline := ctx.Deadline()
		return fmt.Sprintf("deadline %v, k=%q", hasDeadline, guest.MetadataFrom(ctx)["k"]), nil
	})))
	return reg
}

// session is a guest serving over one end of a net.Pipe and an ipfi host
// on the other.
type session struct {
	host   *ipfi.Interface
	w      *ipfi.Wire
	served chan error    // Serve's result
	wrote  atomic.Int64  // bytes the guest wrote
	readAt atomic.Int64  // wrote as the guest began its latest read (-1 before any)
	reads  chan struct{} // a coalescing signal that readAt changed
}

// countingConn counts what the guest writes and, at each of its reads,
// records that count and signals.
type countingConn struct {
	net.Conn
	s *session
}

func (c countingConn) Read(b []byte) (int, error) {
	c.s.readAt.Store(c.s.wrote.Load())
	select {
	case c.s.reads <- struct{}{}:
	default:
	}
	return c.Conn.Read(b)
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.s.wrote.Add(int64(n))
	return n, err
}

func newSession(t *testing.T, opt guest.Options, hostOpts ...ipfi.Option) *session {
	t.Helper()
	host, err := ipfi.New(hostOpts...)
	must(t, err)
	must(t, host.Register(20, procedures.Func1(func(_ context.Context, n int) (int, error) { return 2 * n, nil })))
	g, h := net.Pipe()
	s := &session{host: host, served: make(chan error, 1), reads: make(chan struct{}, 1)}
	s.readAt.Store(-1)
	p := guest.New(countingConn{g, s}, countingConn{g, s}, guestProcedures(t), opt)
	go func() {
		s.served <- p.Serve(context.Background())
		g.Close()
	}()
	s.w, err = host.Connect(h, h)
	must(t, err)
	t.Cleanup(func() {
		host.Close()
		<-s.served
	})
	return s
}

// TestCallsFromAnIpfiHost: unary calls, arguments and results as package
// ipfi encodes them, and failures with their codes.
func TestCallsFromAnIpfiHost(t *testing.T) {
	ctx := bounded(t)
	s := newSession(t, guest.Options{})
	if got, err := ipfi.Call[string](ctx, s.w, 1, "John", "Doe"); err != nil || got != "Hello, John Doe!" {
		t.Fatalf("greeting: %q, %v", got, err)
	}
	if got, err := ipfi.Call[int64](ctx, s.w, 4, -300, 5000000000); err != nil || got != 4999999700 {
		t.Fatalf("sum: %d, %v", got, err)
	}
	if !s.w.PeerExtensions() {
		t.Fatal("the guest did not announce the extensions")
	}
	_, err := ipfi.Call[int](ctx, s.w, 99)
	if !errors.Is(err, procedures.ErrUnknown) {
		t.Errorf("unknown procedure: %v", err)
	}
	_, err = ipfi.Call[string](ctx, s.w, 1, 7)
	if !errors.Is(err, procedures.ErrBadArguments) {
		t.Errorf("bad arguments: %v", err)
	}
	_, err = ipfi.Call[int](ctx, s.w, 10)
	var re *ipfi.RemoteError
	if !errors.As(err, &re) || re.Code != wire.CodeProcedure || re.Message != "boom" {
		t.Errorf("failing procedure: %v", err)
	}
	if _, err := s.w.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	// The host's end of the session: the guest's Serve sees its Termination.
	must(t, s.w.Close())
	if err := <-s.served; !errors.Is(err, guest.ErrPeerTerminated) {
		t.Errorf("Serve: %v, want ErrPeerTerminated", err)
	}
	s.served <- nil // for the cleanup
}

// TestDeadlineAndMetadataReachTheGuest: the guest speaks version 2 of the
// extensions, so a host's call carries its deadline and metadata to the
// guest's procedure (a version 1 guest gets neither, and a host's first
// call with either waited up to a second for a version 2 announcement that
// never came).
func TestDeadlineAndMetadataReachTheGuest(t *testing.T) {
	s := newSession(t, guest.Options{})
	ctx := ipfi.AppendMetadata(bounded(t), "k", "v")
	got, err := ipfi.Call[string](ctx, s.w, 15)
	if err != nil || got != `deadline true, k="v"` {
		t.Fatalf("Call = %q, %v, want the deadline and k=v", got, err)
	}
	got, err = ipfi.Call[string](context.Background(), s.w, 15)
	if err != nil || got != `deadline false, k=""` {
		t.Fatalf("Call without either = %q, %v", got, err)
	}
}

// TestCallbackToTheHost: a guest procedure calls the host back and uses
// the answer, many times in a row.
func TestCallbackToTheHost(t *testing.T) {
	ctx := bounded(t)
	s := newSession(t, guest.Options{})
	for n := range 100 {
		if got, err := ipfi.Call[int](ctx, s.w, 11, n); err != nil || got != 2*n+1 {
			t.Fatalf("call %d: %d, %v", n, got, err)
		}
	}
}

// TestCancelReachesTheGuestAndItsCallback: the host cancels a call whose
// guest procedure waits for the host's own procedure; the guest's
// procedure sees its context cancelled, cancels its call back, and the
// host's procedure sees that.
func TestCancelReachesTheGuestAndItsCallback(t *testing.T) {
	ctx := bounded(t)
	s := newSession(t, guest.Options{})
	started, cancelled := make(chan struct{}), make(chan error, 1)
	must(t, s.host.Register(21, procedures.Func0(func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		cancelled <- context.Cause(ctx)
		return 0, context.Cause(ctx)
	})))
	call, err := s.w.Start(ctx, 13)
	must(t, err)
	<-started
	call.Cancel()
	if err := call.Wait(ctx, new(int)); !errors.Is(err, ipfi.ErrCancelled) {
		t.Errorf("the cancelled call: %v, want ErrCancelled", err)
	}
	if err := <-cancelled; !errors.Is(err, ipfi.ErrCancelled) {
		t.Errorf("the host's procedure, called back by the cancelled one: %v, want ErrCancelled", err)
	}
	// The guest goes on serving.
	if got, err := ipfi.Call[uint32](ctx, s.w, 0); err != nil || got != 42 {
		t.Fatalf("a call after the cancel: %d, %v", got, err)
	}
}

// TestSequenceIsFlowControlled: the guest sends a sequence no faster than
// the host grants credit: with a host that does not read, it stops after
// the 64 KiB window (and one value), and everything arrives once the host
// reads.
func TestSequenceIsFlowControlled(t *testing.T) {
	ctx := bounded(t)
	s := newSession(t, guest.Options{})
	if _, err := s.w.Ping(ctx); err != nil { // the announcements are through
		t.Fatal(err)
	}
	const n = 1000
	before := s.wrote.Load() // the guest writes nothing until it reads the call
	st, err := s.w.Stream(ctx, 12, []any{n}, ipfi.WithStreamWindow(wire.InitialCredit))
	must(t, err)
	defer st.Close()
	// While it sends, the guest reads only once it waits for credit: its
	// first read after it wrote part of the stream is that wait.
	for s.readAt.Load() <= before {
		select {
		case <-s.reads:
		case <-ctx.Done():
			t.Fatal("the guest never waited for credit")
		}
	}
	if sent := s.wrote.Load() - before; sent > wire.InitialCredit+2<<10 {
		t.Fatalf("the guest sent %d bytes of a stream nobody read, over the %d-byte window", sent, wire.InitialCredit)
	}
	i := 0
	for v, err := range ipfi.Values[[]byte](st) {
		must(t, err)
		if len(v) != 1<<10 || v[0] != byte(i) {
			t.Fatalf("value %d: %d bytes starting %d", i, len(v), v[0])
		}
		i++
	}
	if i != n {
		t.Fatalf("%d values, want %d", i, n)
	}
}

// TestBatchEndedByEndOfInput: the host writes a batch of calls and End of
// input; the guest answers them all, writes a Termination and Serve
// returns nil.
func TestBatchEndedByEndOfInput(t *testing.T) {
	ctx := bounded(t)
	s := newSession(t, guest.Options{StopAtEndOfInput: true})
	calls := make([]*ipfi.Pending, 200)
	for i := range calls {
		var err error
		calls[i], err = s.w.Start(ctx, 4, i, 1)
		must(t, err)
	}
	must(t, s.w.SendEndOfInput(ctx))
	for i, c := range calls {
		var got int
		if err := c.Wait(ctx, &got); err != nil || got != i+1 {
			t.Fatalf("call %d: %d, %v", i, got, err)
		}
	}
	if err := <-s.served; err != nil {
		t.Errorf("Serve after End of input: %v, want nil", err)
	}
	s.served <- nil
	<-s.w.Done()
	if !errors.Is(s.w.Err(), ipfi.ErrPeerTerminated) {
		t.Errorf("the host's wire ended with %v, want ErrPeerTerminated", s.w.Err())
	}
}

// TestEndOfStreamAnswersWhatWasRead: a host that writes 1,000 calls (the
// Rust crate's bytes) and ends its stream gets every answer; Serve then
// returns ErrPeerClosed. With Plain the guest writes exactly the crate's
// bytes.
func TestEndOfStreamAnswersWhatWasRead(t *testing.T) {
	var in, want bytes.Buffer
	for i := range 1000 {
		arg, _ := msgpack.Marshal(i)
		sum, _ := codec.Append(nil, int64(i+1)) // compact, as the Rust crate writes it
		in.Write(wire.AppendFrame(nil, wire.Frame{Kind: wire.KindCall, Terminator: wire.TermComplete, Procedure: 4, Call: uint64(i), Payload: append(arg, 1)}))
		want.Write(wire.AppendFrame(nil, wire.Frame{Kind: wire.KindResponse, Terminator: wire.TermComplete, Procedure: 4, Call: uint64(i), Payload: sum}))
	}
	var out bytes.Buffer
	err := guest.New(&in, &out, guestProcedures(t), guest.Options{Plain: true}).Serve(context.Background())
	if !errors.Is(err, guest.ErrPeerClosed) {
		t.Errorf("Serve: %v, want ErrPeerClosed", err)
	}
	if !bytes.Equal(out.Bytes(), want.Bytes()) {
		t.Errorf("the guest wrote %d bytes, want the %d bytes of the 1,000 answers", out.Len(), want.Len())
	}
}

// TestGoldenVectors: against the Rust crate's bytes, the guest answers as
// the crate does (Plain: nothing else written), and answers a call read
// before the end of stream.
func TestGoldenVectors(t *testing.T) {
	for _, tc := range []struct{ call, resp string }{
		{"call_p1_john_doe", "resp_p1"},
		{"call_p3_n3", "resp_p3_n3_stream"},
		{"call_p3_n0", "resp_p3_n0"},
	} {
		var out bytes.Buffer
		in := bytes.NewReader(vectors.Get(tc.call))
		err := guest.New(in, &out, guestProcedures(t), guest.Options{Plain: true}).Serve(context.Background())
		if !errors.Is(err, guest.ErrPeerClosed) {
			t.Errorf("%s: Serve: %v", tc.call, err)
		}
		if want := vectors.Get(tc.resp); !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s: the guest wrote %x, want %s %x", tc.call, out.Bytes(), tc.resp, want)
		}
	}
}

// TestCallOutsideAProcedure: Call needs a procedure's context.
func TestCallOutsideAProcedure(t *testing.T) {
	if _, err := guest.Call[int](context.Background(), 1); !errors.Is(err, guest.ErrNoPeer) {
		t.Errorf("Call outside a procedure: %v, want ErrNoPeer", err)
	}
}

// TestArgumentsInPieces: a call whose arguments come in pieces runs once
// they are all there; over Options.MaxCallArgs it is answered ErrLimit
// and does not run.
func TestArgumentsInPieces(t *testing.T) {
	ctx := bounded(t)
	s := newSession(t, guest.Options{MaxCallArgs: 64})
	st, err := s.w.Open(ctx, 1)
	must(t, err)
	must(t, st.Send("John"))
	must(t, st.Send("Doe"))
	must(t, st.CloseSend())
	var got string
	if err := st.Recv(&got); err != nil || got != "Hello, John Doe!" {
		t.Fatalf("arguments in pieces: %q, %v", got, err)
	}
	st.Close()
	st, err = s.w.Open(ctx, 1)
	must(t, err)
	must(t, st.Send(string(bytes.Repeat([]byte("x"), 50))))
	must(t, st.Send(string(bytes.Repeat([]byte("y"), 50))))
	must(t, st.CloseSend())
	if err := st.Recv(&got); !errors.Is(err, ipfi.ErrLimit) {
		t.Fatalf("arguments over MaxCallArgs: %q, %v, want ErrLimit", got, err)
	}
	st.Close()
}

// TestWaitingCallsAreBounded: while a call runs (here waiting in a call
// back to the host), the calls that arrive wait, at most MaxOpenCalls open
// holding at most MaxWireArgs bytes of arguments; the others are answered
// ErrLimit at once, and those that waited run afterwards.
func TestWaitingCallsAreBounded(t *testing.T) {
	ctx := bounded(t)
	s := newSession(t, guest.Options{MaxOpenCalls: 3, MaxWireArgs: 64})
	started, release := make(chan struct{}), make(chan struct{})
	must(t, s.host.Register(21, procedures.Func0(func(ctx context.Context) (int, error) {
		close(started)
		<-release
		return 7, nil
	})))
	first, err := s.w.Start(ctx, 13)
	must(t, err)
	<-started
	var waiting []*ipfi.Pending
	for range 2 {
		c, err := s.w.Start(ctx, 0)
		must(t, err)
		waiting = append(waiting, c)
	}
	over, err := s.w.Start(ctx, 0)
	must(t, err)
	if err := over.Wait(ctx, new(uint32)); !errors.Is(err, ipfi.ErrLimit) || !strings.Contains(err.Error(), "MaxOpenCalls") {
		t.Errorf("a third waiting call: %v, want ErrLimit naming MaxOpenCalls", err)
	}
	close(release)
	var got int
	if err := first.Wait(ctx, &got); err != nil || got != 7 {
		t.Fatalf("the running call: %d, %v", got, err)
	}
	for i, c := range waiting {
		var v uint32
		if err := c.Wait(ctx, &v); err != nil || v != 42 {
			t.Errorf("waiting call %d: %d, %v", i, v, err)
		}
	}
	// MaxWireArgs: arguments of 100 bytes cannot wait.
	_, err = ipfi.Call[string](ctx, s.w, 1, strings.Repeat("x", 100), "y")
	if !errors.Is(err, ipfi.ErrLimit) || !strings.Contains(err.Error(), "MaxWireArgs") {
		t.Errorf("a call with 100 bytes of arguments: %v, want ErrLimit naming MaxWireArgs", err)
	}
}

// TestEndOfInputBothWays: the host's End of input reaches OnEndOfInput
// (here without stopping), and a procedure's SendEndOfInput reaches the
// host's Wire.EndOfInput; the session goes on.
func TestEndOfInputBothWays(t *testing.T) {
	ctx := bounded(t)
	heard := make(chan struct{}, 1)
	s := newSession(t, guest.Options{OnEndOfInput: func() { heard <- struct{}{} }})
	must(t, s.w.SendEndOfInput(ctx))
	select {
	case <-heard:
	case <-ctx.Done():
		t.Fatal("the guest did not notice the host's End of input")
	}
	// Procedure 14 says "over" as it runs (the byte goes before its
	// answer, which is written once it returns).
	got, err := ipfi.Call[string](ctx, s.w, 14)
	if err != nil || got != "over" {
		t.Fatalf("procedure 14: %q, %v", got, err)
	}
	select {
	case <-s.w.EndOfInput():
	case <-ctx.Done():
		t.Fatal("the host did not notice the guest's End of input")
	}
	if got, err := ipfi.Call[uint32](ctx, s.w, 0); err != nil || got != 42 {
		t.Fatalf("a call after both ends of input: %d, %v", got, err)
	}
}
