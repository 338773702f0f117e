package tests

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiotel"
	"github.com/ipfi-go/ipfi/procedures"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// benchWire returns a wire from a caller interface to a callee serving
// procedure 1: (string, string) -> string, procedure 2: echo []byte, and
// procedure 4: procedure 1 marked Quick, over tr.
func benchWire(b *testing.B, tr transport) *ipfi.Wire {
	callee, caller := newInterface(b), newInterface(b)
	join := procedures.Func2(func(_ context.Context, a, c string) (string, error) {
		return a + " " + c, nil
	})
	must(b, callee.Register(1, join))
	must(b, callee.Register(2, procedures.Func1(func(_ context.Context, p []byte) ([]byte, error) { return p, nil })))
	must(b, callee.Register(4, procedures.Quick(join)))
	w, _ := connect(b, tr, caller, callee)
	return w
}

// BenchmarkUnarySmall: one caller, sequential round trips over loopback TCP.
func BenchmarkUnarySmall(b *testing.B) { benchUnarySmall(b, 1) }

// BenchmarkUnarySmallQuick: the same with a Quick procedure.
func BenchmarkUnarySmallQuick(b *testing.B) { benchUnarySmall(b, 4) }

func benchUnarySmall(b *testing.B, proc procedures.Index) {
	w := benchWire(b, tcp)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := ipfi.Call[string](ctx, w, proc, "John", "Doe"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnary64K: a 64 KiB argument echoed over loopback TCP.
func BenchmarkUnary64K(b *testing.B) {
	w := benchWire(b, tcp)
	ctx := context.Background()
	arg := make([]byte, 64<<10)
	b.SetBytes(2 * int64(len(arg)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := ipfi.Call[[]byte](ctx, w, 2, arg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConcurrent64: 64 callers sharing one wire.
func BenchmarkConcurrent64(b *testing.B) { benchConcurrent64(b, 1) }

// BenchmarkConcurrent64Quick: the same with a Quick procedure.
func BenchmarkConcurrent64Quick(b *testing.B) { benchConcurrent64(b, 4) }

func benchConcurrent64(b *testing.B, proc procedures.Index) {
	w := benchWire(b, tcp)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(32) // 32 x GOMAXPROCS(2) = 64 callers
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ipfi.Call[string](ctx, w, proc, "John", "Doe"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkStream: one caller reads a sequence procedure's values; per
// value.
func BenchmarkStream(b *testing.B) {
	callee, caller := newInterface(b), newInterface(b)
	must(b, callee.Register(3, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
		for i := range n {
			if err := yield(i); err != nil {
				return err
			}
		}
		return nil
	})))
	w, _ := connect(b, tcp, caller, callee)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for v, err := range ipfi.Iter[int](ctx, w, 3, b.N) {
		if err != nil || v != n {
			b.Fatal(v, err)
		}
		n++
	}
	if n != b.N {
		b.Fatalf("%d values, want %d", n, b.N)
	}
}

// BenchmarkUnarySmallIntercepted: BenchmarkUnarySmall with one server and
// one client interceptor that only pass the call on: the cost of the
// interceptor machinery per call (compare with BenchmarkUnarySmall).
func BenchmarkUnarySmallIntercepted(b *testing.B) {
	benchObserved(b,
		[]ipfi.Option{ipfi.WithInterceptors(ipfi.Interceptor{Server: func(ctx context.Context, _ ipfi.CallInfo, next func(context.Context) error) error {
			return next(ctx)
		}})},
		[]ipfi.Option{ipfi.WithInterceptors(ipfi.Interceptor{Client: func(ctx context.Context, _ ipfi.CallInfo, invoke func(context.Context) error) error {
			return invoke(ctx)
		}})})
}

// BenchmarkUnarySmallMetered and BenchmarkUnarySmallTraced: BenchmarkUnarySmall
// with an OpenTelemetry MeterProvider (SDK, a manual reader) or
// TracerProvider (SDK, every call sampled, spans dropped) on both sides:
// what recording costs per call (compare with BenchmarkUnarySmall).
func BenchmarkUnarySmallMetered(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	opts := []ipfi.Option{otel(b, ipfiotel.WithMeterProvider(mp))}
	benchObserved(b, opts, opts)
}

func BenchmarkUnarySmallTraced(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	opts := []ipfi.Option{otel(b, ipfiotel.WithTracerProvider(tp))}
	benchObserved(b, opts, opts)
}

// benchObserved is BenchmarkUnarySmall between a callee and a caller made
// with the given options.
func benchObserved(b *testing.B, calleeOpts, callerOpts []ipfi.Option) {
	callee, caller := newInterface(b, calleeOpts...), newInterface(b, callerOpts...)
	must(b, callee.Register(1, procedures.Func2(func(_ context.Context, a, c string) (string, error) { return a + " " + c, nil })))
	w, _ := connect(b, tcp, caller, callee)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := ipfi.Call[string](ctx, w, 1, "John", "Doe"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConnectCall: dial a served interface over loopback TCP, make one
// small Quick call, close the wire (the comparison harness's connect_call).
func BenchmarkConnectCall(b *testing.B) {
	callee, caller := newInterface(b), newInterface(b)
	must(b, callee.Register(4, procedures.Quick(procedures.Func2(func(_ context.Context, a, c string) (string, error) {
		return a + " " + c, nil
	}))))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	served := make(chan error, 1)
	go func() { served <- callee.Serve(context.Background(), l) }()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w, err := caller.Dial(ctx, "tcp", l.Addr().String())
		must(b, err)
		if _, err := ipfi.Call[string](ctx, w, 4, "John", "Doe"); err != nil {
			b.Fatal(err)
		}
		must(b, w.Close())
	}
	b.StopTimer()
	must(b, l.Close())
	if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) {
		b.Fatal(err)
	}
}
