package ipfiotel_test

import (
	"context"
	"fmt"
	"io"
	"iter"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiotel"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// recorded is what an in-memory meter and tracer hold once both
// interfaces have closed.
type recorded struct {
	// sums by metric name, then "procedure code" ("procedure" alone for
	// a metric without a code).
	sums map[string]map[string]int64
	// counts of the duration histograms, the same way.
	durations map[string]map[string]uint64
	spans     []sdktrace.ReadOnlySpan
}

// telemetryPair returns a client's wire to a server, each interface with
// the interceptor ipfiotel.New(opts...) makes for one meter and tracer
// provider, the server's procedures registered by register; and a
// function that closes both interfaces (every interceptor has returned)
// and returns what was recorded.
func telemetryPair(t *testing.T, register func(*ipfi.Interface), opts ...ipfiotel.Option) (*ipfi.Wire, func() recorded) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	tel, err := ipfiotel.New(append([]ipfiotel.Option{ipfiotel.WithMeterProvider(mp), ipfiotel.WithTracerProvider(tp)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	server, err := ipfi.New(ipfi.WithInterceptors(tel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	register(server)
	client, err := ipfi.New(ipfi.WithInterceptors(tel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	w, _, err := ipfitest.Pipe(client, server)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := w.Ping(ctx); err != nil { // the announcements are in: metadata travels from the first call
		t.Fatal(err)
	}
	return w, func() recorded {
		if err := server.Close(); err != nil {
			t.Fatal(err)
		}
		if err := client.Close(); err != nil {
			t.Fatal(err)
		}
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		r := recorded{sums: map[string]map[string]int64{}, durations: map[string]map[string]uint64{}, spans: spans.Ended()}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				switch d := m.Data.(type) {
				case metricdata.Sum[int64]:
					for _, dp := range d.DataPoints {
						addTo(r.sums, m.Name, pointKey(dp.Attributes), dp.Value)
					}
				case metricdata.Histogram[float64]:
					for _, dp := range d.DataPoints {
						addTo(r.durations, m.Name, pointKey(dp.Attributes), dp.Count)
					}
				}
			}
		}
		return r
	}
}

func addTo[V int64 | uint64](m map[string]map[string]V, name, key string, v V) {
	if m[name] == nil {
		m[name] = map[string]V{}
	}
	m[name][key] += v
}

// pointKey is "[procedure code]" of a data point's attributes, or what of
// them it has (a wire's "[cause]").
func pointKey(set attribute.Set) string {
	var parts []string
	for _, k := range []attribute.Key{"procedure", "code", "cause", "peer"} {
		if v, ok := set.Value(k); ok {
			parts = append(parts, v.AsString())
		}
	}
	return fmt.Sprint(parts)
}

// TestStreamsAreRecorded: every kind of call is recorded on both sides,
// a stream as a unary call is: counted (ipfi.client.calls,
// ipfi.server.calls) and timed (ipfi.client.duration,
// ipfi.server.duration) by procedure and result code, with a client span
// per call whose server span is its child (the trace context travels in
// the stream's metadata). The kinds: unary, a sequence (Collect), a
// bidirectional procedure (Open, Send, CloseSend), a raw stream
// (Wire.Stream), arguments sent in pieces to a unary procedure (Open), a
// stream that fails with an application error, and one left early.
func TestStreamsAreRecorded(t *testing.T) {
	cancelled := make(chan struct{})
	w, finish := telemetryPair(t, func(server *ipfi.Interface) { registerKinds(t, server, cancelled) },
		ipfiotel.WithErrorCodes(map[uint64]string{409: "conflict"}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	callEveryKind(t, ctx, w)
	<-cancelled // before the wire closes, which would end the call too

	r := finish()
	want := map[string]int64{
		"[1 ok]": 2, "[2 ok]": 1, "[3 ok]": 1, "[4 ok]": 1, "[5 conflict]": 1, "[6 cancelled]": 1,
	}
	for _, side := range []string{"client", "server"} {
		if calls := r.sums["ipfi."+side+".calls"]; fmt.Sprint(calls) != fmt.Sprint(want) {
			t.Errorf("ipfi.%s.calls: %v, want %v", side, calls, want)
		}
		if durations := r.durations["ipfi."+side+".duration"]; fmt.Sprint(durations) != fmt.Sprint(want) {
			t.Errorf("ipfi.%s.duration (counts): %v, want %v", side, durations, want)
		}
	}
	if got, want := r.sums["ipfi.server.values"], map[string]int64{"[1]": 2, "[2]": 3, "[3]": 2, "[4]": 2, "[5]": 1, "[6]": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ipfi.server.values: %v, want %v", got, want)
	}
	// The arguments received whole, and in pieces (1, 2 to procedure 1);
	// not a bidirectional procedure's input (procedure 3), which arrives
	// as it runs (see ipfi.CallInfo.ArgBytes).
	if got, want := r.sums["ipfi.server.arg_bytes"], map[string]int64{"[1]": 4, "[2]": 1, "[3]": 0, "[4]": 0, "[5]": 0, "[6]": 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ipfi.server.arg_bytes: %v, want %v", got, want)
	}
	checkJoined(t, r.spans, map[string]int{"1": 2, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1})
}

// registerKinds registers a procedure of each kind on server: 1 unary
// (the sum of two), 2 a sequence (0 to n-1), 3 bidirectional (each value
// back), 4 a raw stream (1, 2), 5 a sequence that fails with code 409
// after a value, 6 a sequence that sends a value and waits for its
// context, closing cancelled once it has ended.
func registerKinds(t *testing.T, server *ipfi.Interface, cancelled chan struct{}) {
	must(t, server.Register(1, procedures.Func2(func(_ context.Context, a, b int) (int, error) { return a + b, nil })))
	must(t, server.Register(2, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
		for i := range n {
			if err := yield(i); err != nil {
				return err
			}
		}
		return nil
	})))
	must(t, server.Register(3, procedures.Bidi(func(_ context.Context, in iter.Seq2[int, error], yield func(int) error) error {
		for v, err := range in {
			if err != nil {
				return err
			}
			if err := yield(v); err != nil {
				return err
			}
		}
		return nil
	})))
	must(t, server.Register(4, procedures.RawStream(func(_ context.Context, _ []byte, send procedures.Sender) error {
		if err := send([]byte{1}, wire.TermChunk); err != nil {
			return err
		}
		return send([]byte{2}, wire.TermComplete)
	})))
	must(t, server.Register(5, procedures.Sequence0(func(_ context.Context, yield func(int) error) error {
		if err := yield(1); err != nil {
			return err
		}
		return &ipfi.Error{Code: 409, Message: "conflict"}
	})))
	must(t, server.Register(6, procedures.Sequence0(func(ctx context.Context, yield func(int) error) error {
		if err := yield(1); err != nil {
			return err
		}
		<-ctx.Done() // by the caller's Cancel, as it leaves the loop
		close(cancelled)
		return context.Cause(ctx)
	})))
}

// callEveryKind calls the procedures of registerKinds: 1 unary, then in
// pieces (Open: 1, then 2); 2 with Collect; 3 with Open, two values and
// CloseSend; 4 with Wire.Stream; 5 with Collect (it fails); 6 with Iter,
// left after the first value.
func callEveryKind(t *testing.T, ctx context.Context, w *ipfi.Wire) {
	if v, err := ipfi.Call[int](ctx, w, 1, 1, 2); err != nil || v != 3 {
		t.Fatalf("unary: %v, %v", v, err)
	}
	if v, err := ipfi.Collect[int](ctx, w, 2, 3); err != nil || len(v) != 3 {
		t.Fatalf("sequence: %v, %v", v, err)
	}
	for _, proc := range []procedures.Index{3, 1} { // bidirectional, then arguments in pieces
		s, err := w.Open(ctx, proc)
		must(t, err)
		must(t, s.Send(1))
		must(t, s.Send(2))
		must(t, s.CloseSend())
		readToEOF(t, s, map[procedures.Index]int{3: 2, 1: 1}[proc])
	}
	s, err := w.Stream(ctx, 4, nil)
	must(t, err)
	readToEOF(t, s, 2)
	if _, err := ipfi.Collect[int](ctx, w, 5); err == nil {
		t.Fatal("a failing stream succeeded")
	}
	for _, err := range ipfi.Iter[int](ctx, w, 6) {
		must(t, err)
		break
	}
}

// checkJoined checks that spans holds, for each procedure, n client
// spans ("ipfi.call N") and as many server spans ("ipfi.serve N"), each
// server span the child of a client span of its procedure.
func checkJoined(t *testing.T, spans []sdktrace.ReadOnlySpan, n map[string]int) {
	t.Helper()
	clients := map[trace.SpanID]string{}
	got := map[string]int{}
	for _, s := range spans {
		if proc, ok := cutName(s.Name(), "ipfi.call "); ok {
			if s.SpanKind() != trace.SpanKindClient {
				t.Errorf("%s is a %v span", s.Name(), s.SpanKind())
			}
			clients[s.SpanContext().SpanID()] = proc
			got[proc]++
		}
	}
	for _, s := range spans {
		if proc, ok := cutName(s.Name(), "ipfi.serve "); ok {
			if clients[s.Parent().SpanID()] != proc || !s.Parent().IsRemote() {
				t.Errorf("the server span %s (parent %s) is not a client span's child", s.Name(), s.Parent().SpanID())
			}
			got[proc]--
		}
	}
	for proc, want := range n {
		if clients := countValues(clients, proc); clients != want || got[proc] != 0 {
			t.Errorf("procedure %s: %d client spans, want %d, and as many server spans (%d more client ones)", proc, clients, want, got[proc])
		}
	}
}

func cutName(name, prefix string) (string, bool) {
	if len(name) > len(prefix) && name[:len(prefix)] == prefix {
		return name[len(prefix):], true
	}
	return "", false
}

func countValues(m map[trace.SpanID]string, v string) int {
	n := 0
	for _, x := range m {
		if x == v {
			n++
		}
	}
	return n
}

// readToEOF reads s to its end, which must come after n values.
func readToEOF(t *testing.T, s *ipfi.Stream, n int) {
	t.Helper()
	defer s.Close()
	var got []int
	for {
		var v int
		err := s.Recv(&v)
		if err == io.EOF {
			break
		}
		must(t, err)
		got = append(got, v)
	}
	if len(got) != n {
		t.Fatalf("%v: %d values, want %d", got, len(got), n)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
