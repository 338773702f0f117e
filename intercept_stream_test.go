package ipfi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
)

// The procedures of the stream interceptor tests, as the server registers
// them (streamServer).
var (
	isCount = ipfi.SeqProc1[int, int]{Index: 1} // 0, 1, ..., n-1
	isEcho  = ipfi.BidiProc[int, int]{Index: 2} // each value back
	isFail  = ipfi.SeqProc0[int]{Index: 3}      // one value, then errConflict
	isHang  = ipfi.SeqProc0[int]{Index: 4}      // one value, then waits for its context
	isSum   = ipfi.Proc0[int]{Index: 5}         // unary: the sum of what it is sent in pieces
	isWho   = ipfi.SeqProc0[string]{Index: 6}   // the call's metadata "who", then "deadline" if it has one
)

var errConflict = &ipfi.Error{Code: 409, Message: "conflict"}

// streamServer returns an interface serving the procedures above, ended
// with the test; opts are its own. started counts the calls that reached
// a procedure.
func streamServer(t *testing.T, started *atomic.Int32, opts ...ipfi.Option) *ipfi.Interface {
	t.Helper()
	server := newInterface(t, opts...)
	t.Cleanup(func() { server.Close() })
	must(t, isCount.Register(server, func(_ context.Context, n int, yield func(int) error) error {
		started.Add(1)
		for i := range n {
			if err := yield(i); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, isEcho.Register(server, func(_ context.Context, in iter.Seq2[int, error], yield func(int) error) error {
		started.Add(1)
		for v, err := range in {
			if err != nil {
				return err
			}
			if err := yield(v); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, isFail.Register(server, func(_ context.Context, yield func(int) error) error {
		started.Add(1)
		if err := yield(1); err != nil {
			return err
		}
		return errConflict
	}))
	must(t, isHang.Register(server, func(ctx context.Context, yield func(int) error) error {
		started.Add(1)
		if err := yield(1); err != nil {
			return err
		}
		<-ctx.Done()
		return context.Cause(ctx)
	}))
	must(t, server.Register(isSum.Index, procedures.Func1(func(_ context.Context, v []int) (int, error) {
		started.Add(1)
		sum := 0
		for _, x := range v {
			sum += x
		}
		return sum, nil
	})))
	must(t, isWho.Register(server, func(ctx context.Context, yield func(string) error) error {
		started.Add(1)
		if err := yield(ipfi.MetadataFrom(ctx)["who"]); err != nil {
			return err
		}
		if _, ok := ctx.Deadline(); ok {
			return yield("deadline")
		}
		return nil
	}))
	return server
}

// streamClient returns a client with opts, its wire to server, both ended
// with the test; the peers have exchanged their announcements, so that
// metadata and deadlines travel from the first call.
func streamClient(t *testing.T, server *ipfi.Interface, opts ...ipfi.Option) *ipfi.Wire {
	t.Helper()
	client := newInterface(t, opts...)
	t.Cleanup(func() { client.Close() })
	w, _, err := ipfitest.Pipe(client, server)
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = w.Ping(ctx)
	must(t, err)
	return w
}

// streamLog records what ClientStream interceptors see, in order.
type streamLog struct {
	mu    sync.Mutex
	lines []string
	ends  []error // what each done was told, in order
}

func (l *streamLog) add(line string) {
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
}

// take returns the lines and ends so far and forgets them.
func (l *streamLog) take() ([]string, []error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines, ends := l.lines, l.ends
	l.lines, l.ends = nil, nil
	return lines, ends
}

// recorder is a ClientStream interceptor that logs, under name, each
// stream's start (procedure, kind, metadata "who", whether it has a
// deadline and its wire) and end, and adds "who"=name to the metadata.
func (l *streamLog) recorder(name string, w **ipfi.Wire) ipfi.Interceptor {
	return ipfi.Interceptor{ClientStream: func(ctx context.Context, info ipfi.CallInfo) (context.Context, func(error), error) {
		onWire := info.Wire != nil && info.Wire == *w
		l.add(fmt.Sprintf("%s start %d %v who=%q deadline=%v wire=%v", name, info.Procedure, info.Kind, info.Metadata["who"], !info.Deadline.IsZero(), onWire))
		return ipfi.AppendMetadata(ctx, "who", name), func(err error) {
			l.mu.Lock()
			l.lines = append(l.lines, fmt.Sprintf("%s end %v", name, err))
			l.ends = append(l.ends, err)
			l.mu.Unlock()
		}, nil
	}}
}

// TestClientStreamInterceptorSeesEveryStream: a ClientStream interceptor
// sees every stream this side opens, however it is opened (Wire.Stream,
// Wire.Open, Iter, Collect, a descriptor's Iter, Collect and Open), with
// its wire, procedure, kind, metadata and deadline, and is told once of
// its end: nil for a response read to io.EOF. Unary calls are not
// streams: a ClientStream interceptor does not see them, and a Client one
// sees no stream.
func TestClientStreamInterceptorSeesEveryStream(t *testing.T) {
	var started atomic.Int32
	server := streamServer(t, &started)
	var log streamLog
	var w *ipfi.Wire
	var unary []string
	client := ipfi.Interceptor{Client: func(ctx context.Context, info ipfi.CallInfo, invoke func(context.Context) error) error {
		unary = append(unary, fmt.Sprintf("%d %v", info.Procedure, info.Kind))
		return invoke(ctx)
	}}
	// The Client interceptor given after the ClientStream one: each sees
	// its own kind all the same.
	w = streamClient(t, server, ipfi.WithInterceptors(log.recorder("rec", &w), client))
	ctx, cancel := context.WithTimeout(ipfi.AppendMetadata(context.Background(), "who", "caller"), 10*time.Second)
	defer cancel()
	readAll := func(s *ipfi.Stream) {
		t.Helper()
		var v int
		for {
			if err := s.Recv(&v); err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
		}
		s.Close() // after the end: reported once all the same
	}
	for _, c := range []struct {
		name string
		run  func()
		want string // the start line
	}{
		{"Wire.Stream", func() {
			s, err := w.Stream(ctx, isCount.Index, []any{2})
			must(t, err)
			readAll(s)
		}, `rec start 1 stream who="caller" deadline=true wire=true`},
		{"Wire.Open", func() {
			s, err := w.Open(ctx, isEcho.Index)
			must(t, err)
			must(t, s.Send(1))
			must(t, s.CloseSend())
			readAll(s)
		}, `rec start 2 open who="caller" deadline=true wire=true`},
		{"Wire.Open of a unary procedure", func() {
			s, err := w.Open(ctx, isSum.Index)
			must(t, err)
			must(t, s.Send([]int{1, 2}))
			must(t, s.CloseSend())
			readAll(s)
		}, `rec start 5 open who="caller" deadline=true wire=true`},
		{"Iter", func() {
			for _, err := range ipfi.Iter[int](ctx, w, isCount.Index, 2) {
				must(t, err)
			}
		}, `rec start 1 stream who="caller" deadline=true wire=true`},
		{"Collect without a deadline", func() {
			_, err := ipfi.Collect[int](context.Background(), w, isCount.Index, 2)
			must(t, err)
		}, `rec start 1 stream who="" deadline=false wire=true`},
		{"SeqProc.Collect", func() {
			_, err := isCount.Collect(ctx, w, 2)
			must(t, err)
		}, `rec start 1 stream who="caller" deadline=true wire=true`},
		{"SeqProc.Iter", func() {
			for _, err := range isCount.Iter(ctx, w, 2) {
				must(t, err)
			}
		}, `rec start 1 stream who="caller" deadline=true wire=true`},
		{"BidiProc.Open", func() {
			s, err := isEcho.Open(ctx, w)
			must(t, err)
			must(t, s.Send(7))
			must(t, s.CloseSend())
			for _, err := range s.Values() {
				must(t, err)
			}
		}, `rec start 2 open who="caller" deadline=true wire=true`},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.run()
			lines, ends := log.take()
			if want := []string{c.want, "rec end <nil>"}; !slices.Equal(lines, want) {
				t.Fatalf("the interceptor saw\n%q\nwant\n%q", lines, want)
			}
			if len(ends) != 1 || ends[0] != nil {
				t.Fatalf("told of the end %v, want once, nil", ends)
			}
		})
	}
	if _, err := isSum.Call(ctx, w); err == nil {
		t.Fatal("a unary call of a procedure that wants an argument succeeded")
	}
	if lines, _ := log.take(); len(lines) != 0 {
		t.Fatalf("the ClientStream interceptor saw a unary call: %q", lines)
	}
	if want := []string{"5 unary"}; !slices.Equal(unary, want) {
		t.Fatalf("the Client interceptor saw %q, want only the unary call %q", unary, want)
	}
}

// TestClientStreamInterceptorsNest: of several ClientStream interceptors
// the first given is the outermost: it is asked first, the context it
// returns is what the next one is given, and its done is told last. The
// context the last one returns is the stream's: its metadata reaches the
// procedure, and a deadline it adds bounds the stream.
func TestClientStreamInterceptorsNest(t *testing.T) {
	var started atomic.Int32
	server := streamServer(t, &started)
	var log streamLog
	var w *ipfi.Wire
	var innerSaw string
	inner := ipfi.Interceptor{ClientStream: func(ctx context.Context, info ipfi.CallInfo) (context.Context, func(error), error) {
		innerSaw, _ = ctx.Value(outerKey{}).(string)
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		log.add("inner start")
		return ctx, func(err error) { cancel(); log.add(fmt.Sprintf("inner end %v", err)) }, nil
	}}
	outer := ipfi.Interceptor{ClientStream: func(ctx context.Context, _ ipfi.CallInfo) (context.Context, func(error), error) {
		log.add("outer start")
		ctx = context.WithValue(ipfi.AppendMetadata(ctx, "who", "outer"), outerKey{}, "outer's value")
		return ctx, func(err error) { log.add(fmt.Sprintf("outer end %v", err)) }, nil
	}}
	w = streamClient(t, server, ipfi.WithInterceptors(outer), ipfi.WithInterceptors(inner))
	got, err := isWho.Collect(context.Background(), w)
	must(t, err)
	if want := []string{"outer", "deadline"}; !slices.Equal(got, want) {
		t.Fatalf("the procedure got %q, want the outer interceptor's metadata and the inner one's deadline %q", got, want)
	}
	if innerSaw != "outer's value" {
		t.Fatalf("the inner interceptor's ctx held %q, want the outer one's value", innerSaw)
	}
	lines, _ := log.take()
	if want := []string{"outer start", "inner start", "inner end <nil>", "outer end <nil>"}; !slices.Equal(lines, want) {
		t.Fatalf("the interceptors ran\n%q\nwant\n%q", lines, want)
	}
}

type outerKey struct{}

// TestClientStreamInterceptorRefuses: a ClientStream interceptor that
// returns an error refuses the stream: Wire.Stream, Wire.Open and Iter
// return that error, nothing reaches the peer, the interceptors after it
// are not asked, and those before it are told of the refusal as the
// stream's end.
func TestClientStreamInterceptorRefuses(t *testing.T) {
	var started, served atomic.Int32
	server := streamServer(t, &started, ipfi.WithInterceptors(ipfi.Interceptor{Server: func(ctx context.Context, _ ipfi.CallInfo, next func(context.Context) error) error {
		served.Add(1)
		return next(ctx)
	}}))
	errDenied := &ipfi.Error{Code: 401, Message: "log in first"}
	var log streamLog
	var w *ipfi.Wire
	deny := ipfi.Interceptor{ClientStream: func(ctx context.Context, _ ipfi.CallInfo) (context.Context, func(error), error) {
		log.add("deny")
		return nil, func(error) { log.add("deny's done") }, errDenied
	}}
	w = streamClient(t, server, ipfi.WithInterceptors(log.recorder("outer", &w), deny, log.recorder("inner", &w)))
	ctx := context.Background()
	if _, err := w.Stream(ctx, isCount.Index, []any{1}); !errors.Is(err, errDenied) {
		t.Fatalf("Wire.Stream: %v, want the refusal", err)
	}
	if _, err := w.Open(ctx, isEcho.Index); !errors.Is(err, errDenied) {
		t.Fatalf("Wire.Open: %v, want the refusal", err)
	}
	if _, err := ipfi.Collect[int](ctx, w, isCount.Index, 1); !errors.Is(err, errDenied) {
		t.Fatalf("Collect: %v, want the refusal", err)
	}
	if _, err := w.Ping(ctx); err != nil { // after anything the streams would have sent
		t.Fatal(err)
	}
	if started.Load() != 0 || served.Load() != 0 {
		t.Fatalf("a refused stream reached the peer: %d procedures ran, %d calls served", started.Load(), served.Load())
	}
	lines, ends := log.take()
	var want []string
	for _, proc := range []int{1, 2, 1} {
		want = append(want, fmt.Sprintf(`outer start %d %s who="" deadline=false wire=true`, proc, map[int]string{1: "stream", 2: "open"}[proc]), "deny", "outer end log in first")
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("the interceptors ran\n%q\nwant\n%q", lines, want)
	}
	for _, err := range ends {
		if err != errDenied {
			t.Fatalf("the outer interceptor was told %v, want the refusal itself", err)
		}
	}
}

// TestClientStreamEndIsReportedOnce: however a stream ends, its
// interceptor is told once, with the outcome: nil for a response read to
// io.EOF; else what Recv returned (the callee's error, the wire's end,
// the cause of the stream's context), ErrCancelled for a stream closed
// before its end, the cause of a context that ended before Close, the
// error that ended Collect (a value that does not decode), the error that
// failed its opening.
func TestClientStreamEndIsReportedOnce(t *testing.T) {
	errStop := errors.New("the caller stopped")
	for _, c := range []struct {
		name string
		// run drives the stream and returns the outcome the interceptor
		// must be told (matched with errors.Is; nil for nil).
		run func(t *testing.T, w *ipfi.Wire) error
	}{
		{"read to io.EOF", func(t *testing.T, w *ipfi.Wire) error {
			s, err := w.Stream(context.Background(), isCount.Index, []any{3})
			must(t, err)
			defer s.Close()
			return recvUntil(t, s, io.EOF, nil)
		}},
		{"the callee's error", func(t *testing.T, w *ipfi.Wire) error {
			s, err := w.Stream(context.Background(), isFail.Index, nil)
			must(t, err)
			defer s.Close()
			return recvUntil(t, s, errConflict, errConflict)
		}},
		{"Close before the end", func(t *testing.T, w *ipfi.Wire) error {
			s, err := w.Stream(context.Background(), isHang.Index, nil)
			must(t, err)
			var v int
			must(t, s.Recv(&v))
			s.Close()
			s.Close()
			return ipfi.ErrCancelled
		}},
		{"a loop over Values left early", func(t *testing.T, w *ipfi.Wire) error {
			for _, err := range isCount.Iter(context.Background(), w, 10) {
				must(t, err)
				break
			}
			return ipfi.ErrCancelled
		}},
		{"the context ends while Recv waits", func(t *testing.T, w *ipfi.Wire) error {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			s, err := w.Stream(ctx, isHang.Index, nil)
			must(t, err)
			defer s.Close()
			var v int
			must(t, s.Recv(&v))
			cancel(errStop)
			return recvUntil(t, s, errStop, errStop)
		}},
		{"the context ends, then Close", func(t *testing.T, w *ipfi.Wire) error {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			s, err := w.Stream(ctx, isHang.Index, nil)
			must(t, err)
			var v int
			must(t, s.Recv(&v))
			cancel(errStop)
			s.Close()
			return errStop
		}},
		{"the wire ends", func(t *testing.T, w *ipfi.Wire) error {
			s, err := w.Stream(context.Background(), isHang.Index, nil)
			must(t, err)
			defer s.Close()
			var v int
			must(t, s.Recv(&v))
			must(t, w.Close())
			return recvUntil(t, s, ipfi.ErrWireTerminated, ipfi.ErrWireTerminated)
		}},
		{"a value that does not decode, in Collect", func(t *testing.T, w *ipfi.Wire) error {
			_, err := ipfi.Collect[int](context.Background(), w, isWho.Index)
			if !errors.Is(err, ipfi.ErrDecode) {
				t.Fatalf("Collect of strings into ints: %v", err)
			}
			return ipfi.ErrDecode
		}},
		{"arguments that do not encode", func(t *testing.T, w *ipfi.Wire) error {
			_, err := w.Stream(context.Background(), isCount.Index, []any{make(chan int)})
			if err == nil {
				t.Fatal("a stream with a channel for argument opened")
			}
			return err
		}},
		{"opened on a wire that has ended", func(t *testing.T, w *ipfi.Wire) error {
			must(t, w.Close())
			_, err := w.Open(context.Background(), isEcho.Index)
			if !errors.Is(err, ipfi.ErrWireTerminated) {
				t.Fatalf("Open on a closed wire: %v", err)
			}
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var started atomic.Int32
			server := streamServer(t, &started)
			var log streamLog
			var w *ipfi.Wire
			w = streamClient(t, server, ipfi.WithInterceptors(log.recorder("rec", &w)))
			want := c.run(t, w)
			_, ends := log.take()
			if len(ends) != 1 {
				t.Fatalf("told of the end %d times (%v), want once", len(ends), ends)
			}
			if got := ends[0]; (want == nil) != (got == nil) || (want != nil && !errors.Is(got, want)) {
				t.Fatalf("told of the end with %v, want %v", got, want)
			}
		})
	}
}

// recvUntil reads s until Recv fails, checks that it failed with want
// (errors.Is; io.EOF itself), and returns end.
func recvUntil(t *testing.T, s *ipfi.Stream, want, end error) error {
	t.Helper()
	var v int
	for {
		err := s.Recv(&v)
		if err == nil {
			continue
		}
		if want == io.EOF && err != io.EOF || !errors.Is(err, want) {
			t.Fatalf("Recv: %v, want %v", err, want)
		}
		return end
	}
}

// A ClientStream interceptor that logs how each stream this side opens
// ends.
func ExampleInterceptor_clientStream() {
	logEnds := ipfi.Interceptor{ClientStream: func(ctx context.Context, info ipfi.CallInfo) (context.Context, func(error), error) {
		return ctx, func(err error) {
			fmt.Printf("procedure %d (%v) ended: %v\n", info.Procedure, info.Kind, err)
		}, nil
	}}
	w, _, done := pair([]ipfi.Option{ipfi.WithInterceptors(logEnds)}, nil, func(b *ipfi.Interface) {
		b.Register(3, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
			for k := range n {
				if err := yield(k); err != nil {
					return err
				}
			}
			return nil
		}))
	})
	defer done()
	values, _ := ipfi.Collect[int](context.Background(), w, 3, 4)
	fmt.Println(values)
	for range ipfi.Iter[int](context.Background(), w, 3, 4) {
		break // closes the stream before its end
	}
	// Output:
	// procedure 3 (stream) ended: <nil>
	// [0 1 2 3]
	// procedure 3 (stream) ended: ipfi: call cancelled
}
