package main

import (
	"context"
	"flag"
	"testing"
	"time"
)

// benchDeadline gives the benchmarks' operations a context with a deadline,
// as the harness does by default (go test -bench X -args -deadline): every
// ipfi call on a connection then carries one.
var benchDeadline = flag.Bool("deadline", false, "run the operations under a context with a deadline (an hour away), as the harness does by default")

// opContext returns the context the benchmarks' operations run under, and
// its cancel function: context.Background(), which cannot end, unless
// -deadline is given.
func opContext() (context.Context, context.CancelFunc) {
	if *benchDeadline {
		return context.WithTimeout(context.Background(), time.Hour)
	}
	return context.Background(), func() {}
}

// Run once in CI so they cannot rot: go test -bench=. -benchtime=1x

func BenchmarkUnarySmall(b *testing.B) {
	benchScenario(b, unarySmall, 0, "ipfi", "raw", "netrpc", "grpc")
}

func BenchmarkUnary64K(b *testing.B) {
	benchScenario(b, unary64K, echoSize64K, "ipfi", "raw", "netrpc", "grpc")
}

// BenchmarkEcho1M and BenchmarkEcho4M are the sweep's large echoes in one
// long-lived process (the sweep runs each in a young child process, whose
// heap is still growing).
func BenchmarkEcho1M(b *testing.B) {
	benchScenario(b, "echo_1m", 1<<20, "ipfi", "ipfi_goroutine", "netrpc", "grpc")
}

func BenchmarkEcho4M(b *testing.B) {
	benchScenario(b, "echo_4m", 4<<20, "ipfi", "ipfi_goroutine", "netrpc", "grpc")
}

// benchScenario runs one operation of the scenario per iteration, for each
// named system, with the command's own setup code.
func benchScenario(b *testing.B, scenario string, bytes int64, names ...string) {
	e := testEnv(b, 1000)
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			op := startSystem(b, e, name).op(scenario)
			if op == nil {
				b.Fatalf("%s takes no part in %s", name, scenario)
			}
			ctx, cancel := opContext()
			defer cancel()
			if err := op(ctx); err != nil { // connect and warm up outside the timer
				b.Fatal(err)
			}
			b.ReportAllocs()
			if bytes > 0 {
				b.SetBytes(bytes)
			}
			for b.Loop() {
				if err := op(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// testEnv samples ipfi's bytes for the raw baselines.
func testEnv(tb testing.TB, streamLen int) *env {
	tb.Helper()
	e := &env{streamLen: streamLen}
	var err error
	if e.small, e.echoes, err = sampleIPFI(context.Background(), []int{echoSize64K}); err != nil {
		tb.Fatal(err)
	}
	return e
}

// startSystem starts the named system, closed when the test ends.
func startSystem(tb testing.TB, e *env, name string) system {
	tb.Helper()
	d, err := lookupSystem(name)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := d.start(context.Background(), e)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.close(); err != nil {
			tb.Errorf("closing %s: %v", name, err)
		}
	})
	return s
}

// BenchmarkC64Conns runs the many-connections scenario: 64 callers, a
// connection each, small calls.
func BenchmarkC64Conns(b *testing.B) {
	benchConns(b, scenario{name: c64Conns, callers: c64, items: 1}, "ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc")
}

// BenchmarkC64OneConn runs 64 callers over one connection, small calls.
func BenchmarkC64OneConn(b *testing.B) {
	benchConns(b, scenario{name: c64OneConn, callers: c64, items: 1}, "ipfi", "ipfi_goroutine", "rawmux")
}

// BenchmarkC1000Conns is the sweep's small_c1000_each in one long-lived
// process: 1000 callers, a connection each, small calls.
func BenchmarkC1000Conns(b *testing.B) {
	benchConns(b, scenario{name: "small_c1000_each", callers: 1000, items: 1}, "ipfi", "ipfi_goroutine", "netrpc")
}

// benchConns runs a scenario of callers with a connection each, for each
// named system: b.N calls spread over the callers.
func benchConns(b *testing.B, sc scenario, names ...string) {
	e := testEnv(b, 1000)
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			op := startSystem(b, e, name).op(sc.name)
			ctx, cancel := opContext()
			defer cancel()
			if err := runBatch(ctx, sc, op, 2*sc.callers); err != nil { // connect and warm up outside the timer
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if err := runBatch(ctx, sc, op, b.N); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkConnectCall dials, makes one small call and closes, per
// iteration.
func BenchmarkConnectCall(b *testing.B) {
	benchScenario(b, connectCall, 0, "ipfi", "ipfi_goroutine", "raw", "netrpc")
}
