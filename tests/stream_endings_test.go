package tests

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestStreamFlowControlBoundsHeap: a Go callee yields 1 GiB (16,384 values
// of 64 KiB) to a Go caller over loopback TCP that reads more slowly than
// the producer writes. Flow control (the default adaptive window, at most
// DefaultMaxStreamWindow) must keep the producer at most a window's worth
// of values ahead of the consumer, so the heap stays small however much is
// streamed; every value must arrive, in order and intact.
func TestStreamFlowControlBoundsHeap(t *testing.T) {
	if testing.Short() {
		// About 2 s alone, 13 s under the race detector on two cores (it
		// checks every byte copied: the gigabyte is copied several times).
		t.Skip("streams 1 GiB; skipped in short mode")
	}
	streamSlowly(t, 16384, ipfi.DefaultMaxStreamWindow)
}

// TestStreamFixedWindowHoldsProducer: with a window the caller fixed
// (WithStreamWindow, here the 64 KiB both sides assume), the producer is held
// to it, a couple of values ahead at most, however often the reader runs
// dry: the window does not grow.
func TestStreamFixedWindowHoldsProducer(t *testing.T) {
	streamSlowly(t, 1024, wire.InitialCredit, ipfi.WithStreamWindow(wire.InitialCredit))
}

// streamSlowly streams count values of 64 KiB to a reader that pauses
// every 256 values, with a window of at most window bytes, and checks
// that the producer never gets more than that window ahead, that the heap
// stays under 64 MiB, and that every value arrives intact.
func streamSlowly(t *testing.T, count, window int64, opts ...ipfi.Option) {
	const (
		valueLen = 64 << 10
		maxHeap  = 64 << 20
	)
	// The callee may have sent a window's worth of values more than the
	// consumer took, plus one (it may overdraw its credit by one message),
	// and yielded one more (runSequence holds the last yielded value back
	// to a plain peer): yields returned <= taken + window/valueLen + 2.
	slack := window/valueLen + 2
	a, b := newInterface(t), newInterface(t)
	var yielded atomic.Int64
	pattern := make([]byte, valueLen)
	for i := range pattern {
		pattern[i] = byte(i * 7)
	}
	must(t, b.Register(1, procedures.Sequence1(func(ctx context.Context, n int, yield func([]byte) error) error {
		// One buffer for every value: yield encodes it before returning.
		buf := slices.Clone(pattern)
		for i := range n {
			binary.BigEndian.PutUint64(buf, uint64(i))
			if err := yield(buf); err != nil {
				return err
			}
			yielded.Add(1)
		}
		return nil
	})))
	wa, _ := connect(t, tcp, a, b)
	// A hang detector with room for a loaded machine: the gigabyte takes
	// 13 s under the race detector.
	ctx := bounded(t, 60*time.Second)

	stopSampler := endingsSlowlySampleHeap(t)
	defer stopSampler()

	start := time.Now()
	s, err := wa.Stream(ctx, 1, []any{count}, opts...)
	must(t, err)
	defer s.Close()
	var received, total, atFirst int64
	for v, err := range ipfi.Values[[]byte](s) {
		if err != nil {
			t.Fatalf("after %d values: %v", received, err)
		}
		endingsSlowlyCheckValue(t, v, received, pattern)
		received++
		total += int64(len(v))
		y := yielded.Load()
		if received == 1 {
			atFirst = y
		}
		if y > received+slack {
			t.Fatalf("producer not held back: %d values yielded when the consumer had taken %d (at most %d allowed)",
				y, received, received+slack)
		}
		if received%256 == 0 {
			time.Sleep(time.Millisecond) // a deliberately slow consumer
		}
	}
	elapsed := time.Since(start)
	peak := stopSampler()

	t.Logf("received %d values, %d bytes in %v; producer had yielded %d when the first value was read; heap peak %.1f MiB",
		received, total, elapsed, atFirst, float64(peak)/(1<<20))
	if received != count || total != count*valueLen {
		t.Fatalf("received %d values / %d bytes, want %d / %d", received, total, count, count*valueLen)
	}
	if atFirst > 1+slack {
		t.Errorf("producer had yielded %d values when the consumer read its first (at most %d allowed)", atFirst, 1+slack)
	}
	if peak >= maxHeap {
		t.Errorf("heap peaked at %.1f MiB, want under %d MiB", float64(peak)/(1<<20), maxHeap>>20)
	}
}

// endingsSlowlySampleHeap starts sampling the heap's live objects every
// 2 ms for streamSlowly; the function it returns stops the sampler and
// returns the peak (0 when called again).
func endingsSlowlySampleHeap(t *testing.T) func() uint64 {
	t.Helper()
	heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(heap)
	if heap[0].Value.Kind() != metrics.KindUint64 {
		t.Fatalf("metric %s unsupported", heap[0].Name)
	}
	stop, sampled := make(chan struct{}), make(chan uint64, 1)
	stopCh := stop // the sampler's own copy: the returned function clears stop
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		s := []metrics.Sample{{Name: heap[0].Name}}
		var peak uint64
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stopCh:
				sampled <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		if stop == nil {
			return 0
		}
		close(stop)
		stop = nil
		return <-sampled
	}
}

// endingsSlowlyCheckValue checks that v, value i of streamSlowly's
// stream, is as long as pattern, carries i in its first 8 bytes and the
// rest of pattern after them.
func endingsSlowlyCheckValue(t *testing.T, v []byte, i int64, pattern []byte) {
	t.Helper()
	if len(v) != len(pattern) {
		t.Fatalf("value %d: %d bytes, want %d", i, len(v), len(pattern))
	}
	if got := binary.BigEndian.Uint64(v); got != uint64(i) {
		t.Fatalf("value %d carries index %d", i, got)
	}
	if !bytes.Equal(v[8:], pattern[8:]) {
		t.Fatalf("value %d corrupted", i)
	}
}

// producerEnd is how a test procedure ended.
type producerEnd struct {
	yieldErr error // what its last yield returned
	cause    error // context.Cause of its context then
	done     bool  // its context was done then
}

// pausingSequence yields 0..n-1, reports on paused, waits until its context
// is done, then yields n (which must fail) and reports how it ended on
// ended (buffered).
func pausingSequence(n int, paused chan<- struct{}, ended chan<- producerEnd) procedures.Procedure {
	return procedures.Sequence0(func(ctx context.Context, yield func(int) error) error {
		for i := range n {
			if err := yield(i); err != nil {
				ended <- producerEnd{err, context.Cause(ctx), ctx.Err() != nil}
				return err
			}
		}
		paused <- struct{}{}
		<-ctx.Done()
		err := yield(n)
		ended <- producerEnd{err, context.Cause(ctx), ctx.Err() != nil}
		if err == nil {
			return errors.New("yield succeeded after the context was done")
		}
		return err
	})
}

// receive waits for one value from c, failing the test when ctx ends first.
func receive[T any](t *testing.T, ctx context.Context, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-ctx.Done():
		t.Fatalf("hang: %s", what)
		panic("unreachable")
	}
}

// waitParked waits until at least n goroutines are parked (in a select or a
// channel operation) with fn on their stack. Nothing signals "a goroutine is
// blocked inside this call"; the goroutine dump is what says so. A parked
// goroutine has consumed every wake-up sent to it before it parked.
func waitParked(t *testing.T, ctx context.Context, fn string, n int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for {
		size := runtime.Stack(buf, true)
		if size == len(buf) {
			buf = make([]byte, 2*len(buf))
			continue
		}
		parked := 0
		for _, g := range strings.Split(string(buf[:size]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if (strings.Contains(header, "[select") || strings.Contains(header, "[chan receive")) &&
				strings.Contains(g, fn) {
				parked++
			}
		}
		if parked >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("hang: %d goroutines parked in %s, want %d", parked, fn, n)
		case <-time.After(time.Millisecond):
		}
	}
}

const (
	inRecv = "actors.(*Call).Recv("
	inSend = "actors.(*Call).Send("
)

// checkCancelled asserts that a producer ended because its caller cancelled
// the call.
func checkCancelled(t *testing.T, e producerEnd) {
	t.Helper()
	if e.yieldErr == nil || !errors.Is(e.yieldErr, ipfi.ErrCancelled) {
		t.Errorf("producer's yield returned %v, want an error matching ErrCancelled", e.yieldErr)
	}
	if !e.done || !errors.Is(e.cause, ipfi.ErrCancelled) {
		t.Errorf("producer's context: done=%v cause=%v, want done with cause ErrCancelled", e.done, e.cause)
	}
}

// checkServes asserts that w still serves a plain call of procedure 2 (which
// returns 7).
func checkServes(t *testing.T, ctx context.Context, w *ipfi.Wire) {
	t.Helper()
	if got, err := ipfi.Call[int](ctx, w, 2); err != nil || got != 7 {
		t.Fatalf("next call on the same wire: %v, %v; want 7", got, err)
	}
	if err := w.Err(); err != nil {
		t.Fatalf("wire ended: %v", err)
	}
}

func seven(context.Context) (int, error) { return 7, nil }

// TestStreamBreakCancelsProducer: breaking out of a range over Iter cancels
// the call: the endless producer's yield fails and its context is
// cancelled with cause ErrCancelled; the wire goes on serving calls.
func TestStreamBreakCancelsProducer(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	ended := make(chan producerEnd, 1)
	must(t, b.Register(1, procedures.Sequence0(func(ctx context.Context, yield func(int) error) error {
		for n := 0; ; n++ {
			if err := yield(n); err != nil {
				ended <- producerEnd{err, context.Cause(ctx), ctx.Err() != nil}
				return err
			}
		}
	})))
	must(t, b.Register(2, procedures.Func0(seven)))
	wa, _ := connect(t, tcp, a, b)
	ctx := bounded(t, 20*time.Second)

	var got []int
	for v, err := range ipfi.Iter[int](ctx, wa, 1) {
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, v)
		if len(got) == 3 {
			break
		}
	}
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("got %v, want [0 1 2]", got)
	}
	checkCancelled(t, receive(t, ctx, ended, "producer still running after the consumer broke out"))
	checkServes(t, ctx, wa)
}

// TestStreamContextCancelEndsProducer: cancelling the context a stream was
// opened with makes Recv return the context's cause and cancels the
// producer; the wire goes on serving calls.
func TestStreamContextCancelEndsProducer(t *testing.T) {
	// blocked: Recv is waiting (parked) when the context is cancelled.
	// before: the context is cancelled, the producer has ended and its
	// cancelled answer has (very probably) arrived before Recv is called:
	// Recv must still return the context's cause, as Open documents.
	for _, when := range []string{"blocked", "before"} {
		t.Run(when, func(t *testing.T) {
			a, b := newInterface(t), newInterface(t)
			paused, ended := make(chan struct{}, 1), make(chan producerEnd, 1)
			must(t, b.Register(1, pausingSequence(5, paused, ended)))
			must(t, b.Register(2, procedures.Func0(seven)))
			wa, wb := connect(t, tcp, a, b)
			hang := bounded(t, 20*time.Second)

			ctx, cancel := context.WithCancel(hang)
			defer cancel()
			s, err := wa.Stream(ctx, 1, nil)
			must(t, err)
			defer s.Close()
			receive(t, hang, paused, "producer did not yield its values")
			// Five yielded, five sent (to a caller with the extensions each
			// value goes out as it is yielded).
			for i := range 5 {
				var v int
				if err := s.Recv(&v); err != nil || v != i {
					t.Fatalf("value %d: %v, %v", i, v, err)
				}
			}

			var err2 error
			switch when {
			case "blocked":
				errc := make(chan error, 1)
				go func() { errc <- s.Recv(nil) }()
				waitParked(t, hang, inRecv, 1)
				cancel()
				err2 = receive(t, hang, errc, "Recv did not return after its context was cancelled")
				checkCancelled(t, receive(t, hang, ended, "producer still running after the cancel"))
			case "before":
				cancel()
				checkCancelled(t, receive(t, hang, ended, "producer still running after the cancel"))
				// The producer's cancelled answer is written right after it
				// returns; a ping from the callee is answered only after
				// what it wrote before has been processed.
				for range 3 {
					if _, err := wb.Ping(hang); err != nil {
						t.Fatal(err)
					}
				}
				err2 = s.Recv(nil)
			}
			if !errors.Is(err2, context.Canceled) {
				t.Errorf("Recv after the context was cancelled: %v, want context.Canceled", err2)
			}
			checkServes(t, hang, wa)
		})
	}
}

// TestStreamWireDeathDeliversArrivedValuesFirst: the producer yields 10
// values (each sent as it is yielded) and waits; once the 10 have arrived
// the wire is killed, from either end, before the consumer reads anything.
// The consumer must then read exactly the 10 values, in order, and then an
// error matching ErrWireTerminated wrapping the cause; the producer's
// context is cancelled.
func TestStreamWireDeathDeliversArrivedValuesFirst(t *testing.T) {
	cases := []struct {
		name        string
		kill        func(wa, wb *ipfi.Wire) error
		callerCause error // what the caller's wire ended with
		calleeCause error // what the callee's wire ended with
	}{
		{"caller-closes", func(wa, _ *ipfi.Wire) error { return wa.Close() }, ipfi.ErrClosed, ipfi.ErrPeerTerminated},
		{"callee-closes", func(_, wb *ipfi.Wire) error { return wb.Close() }, ipfi.ErrPeerTerminated, ipfi.ErrClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const yields = 10
			a, b := newInterface(t), newInterface(t)
			paused, ended := make(chan struct{}, 1), make(chan producerEnd, 1)
			must(t, b.Register(1, pausingSequence(yields, paused, ended)))
			wa, wb := connect(t, tcp, a, b)
			ctx := bounded(t, 20*time.Second)

			s, err := wa.Stream(ctx, 1, nil)
			must(t, err)
			defer s.Close()
			receive(t, ctx, paused, "producer did not yield its values")
			// The callee wrote the 10 values before its pong; the caller's
			// reader hands frames on in order, each value to the call's
			// handle before the pong completes the Ping.
			if _, err := wa.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			must(t, tc.kill(wa, wb))

			var got []int
			var end error
			for range yields + 1 {
				var v int
				if end = s.Recv(&v); end != nil {
					break
				}
				got = append(got, v)
			}
			if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(got, want) {
				t.Errorf("values read after the wire died: %v, want %v", got, want)
			}
			if !errors.Is(end, ipfi.ErrWireTerminated) || !errors.Is(end, tc.callerCause) {
				t.Errorf("after the values: %v, want ErrWireTerminated wrapping %v", end, tc.callerCause)
			}
			e := receive(t, ctx, ended, "producer still running after the wire died")
			if e.yieldErr == nil {
				t.Error("producer's yield succeeded after the wire died")
			}
			if !e.done || !errors.Is(e.cause, ipfi.ErrWireTerminated) || !errors.Is(e.cause, tc.calleeCause) {
				t.Errorf("producer's context: done=%v cause=%v, want ErrWireTerminated wrapping %v",
					e.done, e.cause, tc.calleeCause)
			}
		})
	}
}

// TestStreamProducerPanicEndsStreamOnly: a producer that panics after three
// yields ends its stream with the values sent so far and a RemoteError of
// code CodePanic; the wire goes on serving calls.
func TestStreamProducerPanicEndsStreamOnly(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	must(t, b.Register(1, procedures.Sequence0(func(ctx context.Context, yield func(int) error) error {
		for i := range 3 {
			if err := yield(i); err != nil {
				return err
			}
		}
		panic("producer boom")
	})))
	must(t, b.Register(2, procedures.Func0(seven)))
	wa, _ := connect(t, tcp, a, b)
	ctx := bounded(t, 20*time.Second)

	for round := range 3 {
		var got []int
		var end error
		for v, err := range ipfi.Iter[int](ctx, wa, 1) {
			if err != nil {
				end = err
				break
			}
			got = append(got, v)
		}
		// Every yielded value was sent when yield returned: all three
		// arrive before the error.
		if !slices.Equal(got, []int{0, 1, 2}) {
			t.Errorf("round %d: values %v, want [0 1 2]", round, got)
		}
		var re *ipfi.RemoteError
		if !errors.Is(end, ipfi.ErrRemote) || !errors.As(end, &re) || re.Code != wire.CodePanic {
			t.Fatalf("round %d: stream ended with %v, want a RemoteError with code %v", round, end, wire.CodePanic)
		}
		checkServes(t, ctx, wa)
	}
}

// TestThousandStreamsHalfCancelledHalfCut: 1,000 streams on one TCP wire,
// each from a producer that yields increasing ints (it pauses after three
// until its context is done, then yields again, which must fail). Every
// consumer reads its three values, then:
//
//   - i%4 == 0 waits in Recv and has its context cancelled: Recv must return
//     context.Canceled;
//   - i%4 == 2 breaks out of ranging over Values (which closes the stream):
//     the loop sees no error, and a later Recv returns ErrCancelled (never
//     a value, never io.EOF);
//   - odd ones wait in Recv until the caller's wire is closed, after all the
//     even ones have ended: Recv must return ErrWireTerminated wrapping
//     ErrClosed.
//
// Every producer's yield must fail and its context be cancelled: with
// cause ErrCancelled for the even ones, ErrWireTerminated for the odd ones.
// No goroutine may remain once both interfaces are closed.
func TestThousandStreamsHalfCancelledHalfCut(t *testing.T) {
	const streams = 1000
	// Over the default open-stream limit (256 per wire): the callee
	// raises it for the thousand.
	a, b := mustNew(t), mustNew(t, ipfi.WithLimits(ipfi.Limits{MaxOpenStreams: streams, MaxOpenCalls: streams}))
	defer a.Close()
	defer b.Close()

	producers := &endingsCutProducers{ends: make([]producerEnd, streams), done: make([]chan struct{}, streams)}
	for i := range producers.done {
		producers.done[i] = make(chan struct{})
	}
	must(t, b.Register(1, procedures.Sequence1(producers.run)))
	wa, _ := connect(t, tcp, a, b)
	hang := bounded(t, 20*time.Second)

	cancels := make([]context.CancelFunc, streams)
	results := make([]error, streams)
	read3 := make(chan int, streams)
	done := make([]chan struct{}, streams)
	for i := range streams {
		ctx, cancel := context.WithCancel(hang)
		defer cancel()
		cancels[i] = cancel
		done[i] = make(chan struct{})
		go func() {
			defer close(done[i])
			results[i] = consume(ctx, wa, i, read3)
		}()
	}

	for n := range streams {
		receive(t, hang, read3, fmt.Sprintf("only %d consumers read their three values", n))
	}
	notByBreak := func(i int) bool { return !endingsCutByBreak(i) }
	endingsCutCheckRunning(t, notByBreak, done, results, "ended early")
	endingsCutWaitAll(t, hang, endingsCutByBreak, done, "breaking consumer not done")
	endingsCutWaitAll(t, hang, endingsCutByBreak, producers.done, "producer of a broken-off stream still running")
	// Every other consumer is now waiting in Recv (nothing more comes).
	waitParked(t, hang, inRecv, streams*3/4)
	for i := range streams {
		if endingsCutByCtx(i) {
			cancels[i]()
		}
	}
	endingsCutWaitAll(t, hang, endingsCutByCtx, done, "consumer with a cancelled context not done")
	endingsCutWaitAll(t, hang, endingsCutByCtx, producers.done, "producer of a cancelled stream still running")
	endingsCutCheckRunning(t, endingsCutOdd, done, results, "ended before the wire was closed")
	must(t, wa.Close())
	endingsCutWaitAll(t, hang, endingsCutOdd, done, "consumer on the closed wire not done")
	endingsCutWaitAll(t, hang, endingsCutOdd, producers.done, "producer on the closed wire still running")

	endingsCutCheckEnds(t, results, producers.ends)

	must(t, a.Close())
	must(t, b.Close())
	goleak.VerifyNone(t)
}

// endingsCutByCtx says whether consumer i of
// TestThousandStreamsHalfCancelledHalfCut ends by having its context
// cancelled.
func endingsCutByCtx(i int) bool { return i%4 == 0 }

// endingsCutByBreak says whether consumer i of
// TestThousandStreamsHalfCancelledHalfCut ends by breaking out of ranging
// over Values.
func endingsCutByBreak(i int) bool { return i%4 == 2 }

// endingsCutOdd says whether consumer i of
// TestThousandStreamsHalfCancelledHalfCut ends when its wire is closed.
func endingsCutOdd(i int) bool { return i%2 == 1 }

// endingsCutProducers are the producers of
// TestThousandStreamsHalfCancelledHalfCut, one per stream id: each yields
// increasing ints, pauses after three until its context is done, then
// yields again, which must fail; it records how it ended in ends[id] and
// then closes done[id].
type endingsCutProducers struct {
	ends []producerEnd
	done []chan struct{}
}

func (p *endingsCutProducers) run(ctx context.Context, id int, yield func(int) error) error {
	if id < 0 || id >= len(p.done) {
		return fmt.Errorf("bad id %d", id)
	}
	defer close(p.done[id])
	for n := 0; ; n++ {
		if err := yield(n); err != nil {
			p.ends[id] = producerEnd{err, context.Cause(ctx), ctx.Err() != nil}
			return err
		}
		if n >= 2 {
			<-ctx.Done()
		}
	}
}

// endingsCutWaitAll waits until chans[i] is closed for every i that pick
// selects, failing the test with what and i when hang ends first.
func endingsCutWaitAll(t *testing.T, hang context.Context, pick func(int) bool, chans []chan struct{}, what string) {
	t.Helper()
	for i := range chans {
		if pick(i) {
			select {
			case <-chans[i]:
			case <-hang.Done():
				t.Fatalf("hang: %s %d", what, i)
			}
		}
	}
}

// endingsCutCheckRunning fails the test when a consumer i that pick
// selects has already ended (done[i] is closed), saying it ended as
// ended says and with its result.
func endingsCutCheckRunning(t *testing.T, pick func(int) bool, done []chan struct{}, results []error, ended string) {
	t.Helper()
	for i := range done {
		if pick(i) {
			select {
			case <-done[i]:
				t.Fatalf("consumer %d %s: %v", i, ended, results[i])
			default:
			}
		}
	}
}

// endingsCutCheckEnds checks how every consumer (results) and producer
// (ends) of TestThousandStreamsHalfCancelledHalfCut ended, reporting the
// first ten failures and then how many there were.
func endingsCutCheckEnds(t *testing.T, results []error, ends []producerEnd) {
	t.Helper()
	bad := 0
	report := func(format string, args ...any) {
		t.Helper()
		if bad++; bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for i, err := range results {
		endingsCutCheckConsumer(report, i, err)
		e := ends[i]
		want := ipfi.ErrCancelled
		if endingsCutOdd(i) {
			want = ipfi.ErrWireTerminated
		}
		if e.yieldErr == nil || !e.done || !errors.Is(e.cause, want) {
			report("producer %d: yield=%v done=%v cause=%v, want a failed yield and cause %v", i, e.yieldErr, e.done, e.cause, want)
		}
	}
	if bad > 10 {
		t.Errorf("... %d failures in all", bad)
	}
}

// endingsCutCheckConsumer checks the error err that ended consumer i of
// TestThousandStreamsHalfCancelledHalfCut, as the way it ended its stream
// requires, and reports a mismatch.
func endingsCutCheckConsumer(report func(format string, args ...any), i int, err error) {
	switch {
	case endingsCutByCtx(i):
		if !errors.Is(err, context.Canceled) {
			report("consumer %d (context cancelled): %v, want context.Canceled", i, err)
		}
	case endingsCutByBreak(i):
		if !errors.Is(err, ipfi.ErrCancelled) {
			report("consumer %d (broke out): Recv after Close: %v, want ErrCancelled", i, err)
		}
	default:
		if !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, ipfi.ErrClosed) {
			report("consumer %d (wire closed): %v, want ErrWireTerminated wrapping ErrClosed", i, err)
		}
	}
}

// consume is consumer i of TestThousandStreamsHalfCancelledHalfCut: it
// reads the three values sent, reports on read3, then ends its stream as i
// says and returns the error that ended it.
func consume(ctx context.Context, w *ipfi.Wire, i int, read3 chan<- int) error {
	// Report on every path, so that a failing consumer fails the test with
	// its error instead of hanging it.
	reported := false
	report := func() {
		if !reported {
			reported = true
			read3 <- i
		}
	}
	defer report()
	s, err := w.Stream(ctx, 1, []any{i})
	if err != nil {
		return fmt.Errorf("Stream: %w", err)
	}
	defer s.Close()
	if i%4 == 2 {
		n := 0
		for v, err := range ipfi.Values[int](s) {
			if err != nil || v != n {
				return fmt.Errorf("value %d: %v, %w", n, v, err)
			}
			if n++; n == 3 {
				break
			}
		}
		if n != 3 {
			return fmt.Errorf("stream ended after %d values", n)
		}
		report()
		if err := s.Recv(nil); err != nil {
			return err
		}
		return errors.New("Recv after Close returned a value")
	}
	for n := range 3 {
		var v int
		if err := s.Recv(&v); err != nil || v != n {
			return fmt.Errorf("value %d: %v, %w", n, v, err)
		}
	}
	report()
	if err := s.Recv(nil); err != nil {
		return err
	}
	return errors.New("a fourth value arrived")
}
