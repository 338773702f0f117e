package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// cutValues is how many values the cut stream's procedure yields before it
// waits for its context to end.
const cutValues = 10

// cutStreamSetup serves, on b over net.Pipe, procedure 1 (a sequence that
// yields 0..cutValues-1, reports on yielded, then waits until its context
// ends) and procedure 2 (a sequence that yields 0, 1, 2 and returns). It
// returns a's wire, b's wire, and cut, which closes b's raw end of the pipe
// (the net.Conn b's Connect got): the stream is cut by the peer's end of
// stream, with no Termination message.
func cutStreamSetup(t *testing.T) (wa, wb *ipfi.Wire, yielded <-chan struct{}, cut func()) {
	t.Helper()
	a, b := mustNew(t), mustNew(t)
	t.Cleanup(func() { a.Close(); b.Close() })
	y := make(chan struct{}, 1)
	must(t, b.Register(1, procedures.Sequence0(func(ctx context.Context, yield func(int) error) error {
		for i := range cutValues {
			if err := yield(i); err != nil {
				return err
			}
		}
		y <- struct{}{}
		<-ctx.Done()
		return context.Cause(ctx)
	})))
	must(t, b.Register(2, procedures.Sequence0(func(ctx context.Context, yield func(int) error) error {
		for i := range 3 {
			if err := yield(i); err != nil {
				return err
			}
		}
		return nil
	})))
	ca, cb := net.Pipe()
	var err error
	if wa, err = a.Connect(ca, ca); err != nil {
		t.Fatal(err)
	}
	if wb, err = b.Connect(cb, cb); err != nil {
		t.Fatal(err)
	}
	return wa, wb, y, func() { _ = cb.Close() }
}

// checkCut asserts what every whole-stream reader must report when its
// stream was cut after cutValues values: those values, then an error
// matching ErrWireTerminated (not a clean end).
func checkCut(t *testing.T, reader string, got []int, end error) {
	t.Helper()
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(got, want) {
		t.Errorf("%s read %v before the cut, want %v", reader, got, want)
	}
	if end == nil {
		t.Errorf("%s ended with no error after %d values although the stream was cut: a cut stream looks complete", reader, len(got))
		return
	}
	if !errors.Is(end, ipfi.ErrWireTerminated) {
		t.Errorf("%s ended with %v, want an error matching ErrWireTerminated", reader, end)
	}
}

// TestCutStreamIsNotComplete: a stream whose peer's byte stream ends
// (the transport closed under the callee's wire, no Termination message)
// after 10 values, while its procedure still runs, must not look complete
// to any whole-stream reader: Values, Iter and Collect must end with an
// error matching ErrWireTerminated after the 10 values, and Stream.Recv
// must return such an error, one that does not match io.EOF (which means
// only the clean end of a stream: a complete stream's Recv ends with
// exactly io.EOF).
func TestCutStreamIsNotComplete(t *testing.T) {
	t.Run("Values", regressCutValues)
	t.Run("Iter", regressCutIter)
	t.Run("Collect", regressCutCollect)
	t.Run("Recv", regressCutRecv)
}

// regressCutValues is TestCutStreamIsNotComplete for Values over a Stream.
func regressCutValues(t *testing.T) {
	wa, _, _, cut := cutStreamSetup(t)
	ctx := bounded(t, 10*time.Second)
	s, err := wa.Stream(ctx, 1, nil)
	must(t, err)
	defer s.Close()
	var got []int
	var end error
	for v, err := range ipfi.Values[int](s) {
		if err != nil {
			end = err
			break
		}
		if got = append(got, v); len(got) == cutValues {
			cut() // the reader has the 10th value: cut before it asks for more
		}
	}
	checkCut(t, "Values", got, end)
}

// regressCutIter is TestCutStreamIsNotComplete for Iter.
func regressCutIter(t *testing.T) {
	wa, _, _, cut := cutStreamSetup(t)
	ctx := bounded(t, 10*time.Second)
	var got []int
	var end error
	for v, err := range ipfi.Iter[int](ctx, wa, 1) {
		if err != nil {
			end = err
			break
		}
		if got = append(got, v); len(got) == cutValues {
			cut()
		}
	}
	checkCut(t, "Iter", got, end)
}

// regressCutCollect is TestCutStreamIsNotComplete for Collect.
func regressCutCollect(t *testing.T) {
	wa, wb, yielded, cut := cutStreamSetup(t)
	ctx := bounded(t, 10*time.Second)
	type result struct {
		got []int
		err error
	}
	done := make(chan result, 1)
	go func() {
		got, err := ipfi.Collect[int](ctx, wa, 1)
		done <- result{got, err}
	}()
	receive(t, ctx, yielded, "the procedure did not yield its 10 values")
	// The callee wrote the 10 values before its ping; the caller's
	// reader hands them to the call before it answers the ping. So
	// once the pong is back, the 10 values are the caller's.
	if _, err := wb.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	cut()
	r := receive(t, ctx, done, "Collect did not return after the cut")
	checkCut(t, "Collect", r.got, r.err)
}

// regressCutRecv is TestCutStreamIsNotComplete for Stream.Recv, after a
// check that a complete stream ends with exactly io.EOF.
func regressCutRecv(t *testing.T) {
	wa, _, _, cut := cutStreamSetup(t)
	ctx := bounded(t, 10*time.Second)

	// A complete stream ends with exactly io.EOF.
	whole, err := wa.Stream(ctx, 2, nil)
	must(t, err)
	defer whole.Close()
	for i := range 3 {
		var v int
		if err := whole.Recv(&v); err != nil || v != i {
			t.Fatalf("complete stream, value %d: %v, %v", i, v, err)
		}
	}
	if err := whole.Recv(nil); err != io.EOF {
		t.Fatalf("complete stream's end: %v, want exactly io.EOF", err)
	}

	s, err := wa.Stream(ctx, 1, nil)
	must(t, err)
	defer s.Close()
	var got []int
	for range cutValues {
		var v int
		if err := s.Recv(&v); err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, v)
	}
	cut()
	end := s.Recv(nil)
	checkCut(t, "Recv", got, end)
	if errors.Is(end, io.EOF) {
		t.Errorf("Recv after the cut: %v matches io.EOF, which means only a clean end of a stream", end)
	}
}

// TestCallbackDuringCloseIsWireTerminated: interface A calls procedure P
// on interface B; P calls back procedure Q on A over the same wire
// (ipfi.WireFrom), then waits for its context to end (so that P never
// answers while the wire is up). Q either blocks until its context ends
// or returns at once. While P is calling Q, the wire is closed: by A's
// end (Wire.Close), B's end, A.Close or B.Close. A's call of P must end
// with an error matching ErrWireTerminated and not ErrRemote: a procedure
// whose callback failed because its own wire is closing must not be
// reported to its caller as a remote failure ("procedure error: wire
// terminated: closed").
//
// The race is narrow, so each case loops (at most 300 wires, within its
// share of a 20 s budget, 4 s with -short) over TCP loopback and net.Pipe,
// with callbackCalls calls of P in flight on each wire when it is closed
// and B streaming values to A all along (a busy writer widens the race),
// and reports how many calls went wrong.
//
// How it went wrong at commit 0ecf0db: B's Close records its cause before
// it queues the Termination message, behind the writer's lock; a callback
// starting in between fails at once with that cause, and P's error answer
// (answerError skips it only once the wire's procedure context is
// cancelled, which happens after the Termination is written) can take the
// writer's lock first. A, which has not yet read the Termination, takes
// the answer as P's failure. Only B's closes, only with Q returning at
// once, about 0.1-3% of the calls.
func TestCallbackDuringCloseIsWireTerminated(t *testing.T) {
	closers := []struct {
		name  string
		close regressCbCloseFunc
	}{
		{"A-wire", func(_, _ *ipfi.Interface, wa, _ *ipfi.Wire) error { return wa.Close() }},
		{"B-wire", func(_, _ *ipfi.Interface, _, wb *ipfi.Wire) error { return wb.Close() }},
		{"A-interface", func(ia, _ *ipfi.Interface, _, _ *ipfi.Wire) error { return ia.Close() }},
		{"B-interface", func(_, ib *ipfi.Interface, _, _ *ipfi.Wire) error { return ib.Close() }},
	}
	budget := 20 * time.Second
	if testing.Short() {
		budget = 4 * time.Second
	}
	trs := []transport{tcp, pipe}
	share := budget / time.Duration(len(trs)*2*len(closers))
	for _, tr := range trs {
		for _, qBlocks := range []bool{true, false} {
			mode := "Q-returns" // the wire is closed as P calls Q
			if qBlocks {
				mode = "Q-blocks" // the wire is closed while every P waits for Q's answer
			}
			for _, c := range closers {
				t.Run(fmt.Sprintf("%s/%s/%s", tr, mode, c.name), func(t *testing.T) {
					regressCbCase(t, tr, qBlocks, share, c.close)
				})
			}
		}
	}
}

// regressCbCloseFunc closes the wire of one iteration of
// TestCallbackDuringCloseIsWireTerminated: one of its ends, or one of the
// interfaces.
type regressCbCloseFunc func(ia, ib *ipfi.Interface, wa, wb *ipfi.Wire) error

// regressCbMaxWires is how many wires a case of
// TestCallbackDuringCloseIsWireTerminated closes at most.
const regressCbMaxWires = 300

// regressCbCase runs one case of TestCallbackDuringCloseIsWireTerminated:
// iterations of callbackDuringClose (at least one, at most
// regressCbMaxWires) until share has passed. It fails the test if any of
// A's calls of P ended with an error that does not match
// ErrWireTerminated, or that matches ErrRemote.
func regressCbCase(t *testing.T, tr transport, qBlocks bool, share time.Duration, closeWire regressCbCloseFunc) {
	deadline := time.Now().Add(share)
	var bad, calls, n int
	var first error
	for n < regressCbMaxWires && (n == 0 || time.Now().Before(deadline)) {
		n++
		// Q-returns: close once the i-th P is calling Q, i going round
		// 1..callbackCalls.
		after := 1 + n%callbackCalls
		for _, err := range callbackDuringClose(t, tr, qBlocks, after, closeWire) {
			calls++
			if !errors.Is(err, ipfi.ErrWireTerminated) || errors.Is(err, ipfi.ErrRemote) {
				if bad++; first == nil {
					first = err
				}
			}
		}
	}
	t.Logf("%d of %d calls wrong (%d wires)", bad, calls, n)
	if bad > 0 {
		t.Errorf("A's call of P ended with %q (%T) in %d of %d calls on %d wires; want an error matching ErrWireTerminated and not ErrRemote",
			first, first, bad, calls, n)
	}
}

// callbackCalls is how many calls of P are in flight on each wire that
// TestCallbackDuringCloseIsWireTerminated closes; with a Q that returns at
// once, each P calls Q up to callbackRounds times in a row.
const (
	callbackCalls  = 32
	callbackRounds = 100_000
)

// callbackDuringClose runs one iteration of
// TestCallbackDuringCloseIsWireTerminated: callbackCalls calls of P, the
// wire closed once every Q has started (qBlocks) or once the after-th P is
// calling Q. It returns how A's calls of P ended.
func callbackDuringClose(t *testing.T, tr transport, qBlocks bool, after int, closeWire regressCbCloseFunc) []error {
	t.Helper()
	ia, ib := mustNew(t), mustNew(t)
	defer ia.Close()
	defer ib.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	calling, qStarted := regressCbRegister(t, ia, ib, qBlocks)
	wa, wb := connect(t, tr, ia, ib)

	var readers sync.WaitGroup
	defer readers.Wait()
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			regressCbDrain(ctx, wa)
		}()
	}

	results := make(chan error, callbackCalls)
	for range callbackCalls {
		go func() { results <- wa.Call(ctx, 1, nil) }()
	}
	if qBlocks {
		for range callbackCalls {
			receive(t, ctx, qStarted, "not every Q started")
		}
	} else {
		for range after {
			receive(t, ctx, calling, "not every P started")
		}
	}
	if err := closeWire(ia, ib, wa, wb); err != nil {
		t.Fatalf("close: %v", err)
	}
	errs := make([]error, callbackCalls)
	for i := range errs {
		errs[i] = receive(t, ctx, results, "A's call of P did not return after the wire was closed")
	}
	return errs
}

// regressCbRegister registers the procedures of one iteration of
// TestCallbackDuringCloseIsWireTerminated: P (1) and a stream to A (3) on
// ib, Q (2) on ia. Every P sends on calling as it is about to call Q;
// every Q that blocks (qBlocks) sends on qStarted as it starts.
func regressCbRegister(t *testing.T, ia, ib *ipfi.Interface, qBlocks bool) (calling, qStarted <-chan struct{}) {
	t.Helper()
	callingC := make(chan struct{}, callbackCalls) // a P is about to call Q
	qStartedC := make(chan struct{}, callbackCalls)
	must(t, ib.Register(1, procedures.Func0(func(pctx context.Context) (int, error) {
		callingC <- struct{}{}
		// Q-returns: P calls Q again and again, so that some call starts
		// as the wire is being closed (bounded: the wire is closed at once).
		for range callbackRounds {
			if _, err := ipfi.Call[int](pctx, ipfi.WireFrom(pctx), 2); err != nil {
				return 0, err
			}
			if qBlocks {
				break
			}
		}
		<-pctx.Done() // never answer while the wire is up
		return 0, context.Cause(pctx)
	})))
	must(t, ia.Register(2, procedures.Func0(func(qctx context.Context) (int, error) {
		if !qBlocks {
			return 1, nil
		}
		qStartedC <- struct{}{}
		<-qctx.Done()
		return 0, context.Cause(qctx)
	})))
	// B streams to A all along: B's writer is busy (its lock taken for
	// every value), which is what widens the race between Close's
	// Termination message and P's answer.
	must(t, ib.Register(3, procedures.Sequence0(func(sctx context.Context, yield func(int) error) error {
		for i := 0; ; i++ {
			if err := yield(i); err != nil {
				return err
			}
		}
	})))
	return callingC, qStartedC
}

// regressCbDrain reads B's stream (3) on wa until it ends.
func regressCbDrain(ctx context.Context, wa *ipfi.Wire) {
	for _, err := range ipfi.Iter[int](ctx, wa, 3) {
		if err != nil {
			return // the wire's end (checked by the calls of P)
		}
	}
}

// TestCancelBeforeCloseSendStartsNothing: a stream whose context ends
// after Open and before CloseSend (what Wire.Stream does in between) is
// cancelled, and nothing of it may reach the callee after the Cancel: a
// Call frame written after it would start the procedure anew on the
// callee, with nobody left to cancel it.
func TestCancelBeforeCloseSendStartsNothing(t *testing.T) {
	a, b := mustNew(t), mustNew(t)
	t.Cleanup(func() { a.Close(); b.Close() })
	started, cancelled := make(chan struct{}, 1), make(chan struct{}, 1)
	must(t, b.Register(1, procedures.Sequence0(func(ctx context.Context, yield func(int) error) error {
		started <- struct{}{}
		<-ctx.Done()
		cancelled <- struct{}{}
		return context.Cause(ctx)
	})))
	w, _ := connect(t, pipe, a, b)
	bg := bounded(t, 10*time.Second)
	if _, err := w.Ping(bg); err != nil { // the peer's extensions are known
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	s, err := w.Open(ctx, 1)
	must(t, err)
	cancel()
	if err := s.Recv(nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Recv after the context ended: %v, want context.Canceled", err)
	}
	_ = s.CloseSend()                     // too late: the call is cancelled
	if _, err := w.Ping(bg); err != nil { // the callee has read whatever was sent
		t.Fatal(err)
	}
	select {
	case <-started:
		select {
		case <-cancelled:
		case <-time.After(5 * time.Second):
			t.Fatal("the callee runs a call its caller cancelled before closing its arguments, and nothing cancels it")
		}
	case <-time.After(time.Second):
		// Nothing started: there is no signal for an absence, so the
		// procedure is given a second to show up.
	}
}
