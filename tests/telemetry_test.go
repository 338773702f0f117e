package tests

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiotel"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestMetricsThroughPrometheus: with a MeterProvider, the interface's
// metrics (calls by procedure and code, durations, wires) reach a
// Prometheus scrape through OpenTelemetry's exporter.
func TestMetricsThroughPrometheus(t *testing.T) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	must(t, err)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer mp.Shutdown(context.Background())
	server := newInterface(t, otel(t, ipfiotel.WithMeterProvider(mp)))
	must(t, server.Register(1, procedures.Func0(func(context.Context) (int, error) { return 1, nil })))
	must(t, server.Register(2, procedures.Func0(func(context.Context) (int, error) { return 0, &ipfi.Error{Code: 7} })))
	client := newInterface(t, otel(t, ipfiotel.WithMeterProvider(mp)))
	w, _ := connect(t, pipe, client, server)
	ctx := bounded(t, 10*time.Second)
	for range 3 {
		if _, err := ipfi.Call[int](ctx, w, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ipfi.Call[int](ctx, w, 2); err == nil {
		t.Fatal("procedure 2 succeeded")
	}
	// The server records a call once its procedure has returned, after
	// the answer went out: wait until it has.
	servedAll(t, server)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	scrape := rec.Body.String()
	for _, want := range []string{
		`ipfi_server_calls_total{code="ok",otel_scope_name="github.com/ipfi-go/ipfi",otel_scope_version="",procedure="1"} 3`,
		`ipfi_server_calls_total{code="other",otel_scope_name="github.com/ipfi-go/ipfi",otel_scope_version="",procedure="2"} 1`,
		`ipfi_client_calls_total{code="ok",otel_scope_name="github.com/ipfi-go/ipfi",otel_scope_version="",procedure="1"} 3`,
		`ipfi_server_duration_seconds_bucket{`,
		`ipfi_client_duration_seconds_count{`,
		`ipfi_wires_open{otel_scope_name="github.com/ipfi-go/ipfi",otel_scope_version=""} 2`,
		`ipfi_server_values_total{otel_scope_name="github.com/ipfi-go/ipfi",otel_scope_version="",procedure="1"} 3`,
		`ipfi_server_response_bytes_total{otel_scope_name="github.com/ipfi-go/ipfi",otel_scope_version="",procedure="1"} 3`,
	} {
		if !strings.Contains(scrape, want) {
			t.Fatalf("the scrape lacks %s:\n%s", want, scrape)
		}
	}
}

// TestTraceJoinedAcrossTheWire: with a TracerProvider on both sides, a
// call makes a client span and a server span in the same trace, the
// server's the child of the client's (the trace context travels in the
// call's metadata).
func TestTraceJoinedAcrossTheWire(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	ended := make(chan struct{}, 8)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(signalEnd{spans, ended}))
	defer tp.Shutdown(context.Background())
	server := newInterface(t, otel(t, ipfiotel.WithTracerProvider(tp)))
	must(t, server.Register(1, procedures.Func0(func(context.Context) (int, error) { return 1, nil })))
	client := newInterface(t, otel(t, ipfiotel.WithTracerProvider(tp)))
	w, _ := connect(t, pipe, client, server)
	ctx := bounded(t, 10*time.Second)
	_, err := w.Ping(ctx) // the announcements are in: metadata travels from the first call
	must(t, err)
	if _, err := ipfi.Call[int](ctx, w, 1); err != nil {
		t.Fatal(err)
	}
	// The server's span ends after its answer went out: wait for both.
	for range 2 {
		select {
		case <-ended:
		case <-ctx.Done():
			t.Fatalf("%d spans ended, want 2", len(spans.Ended()))
		}
	}
	var clientSpan, serverSpan sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		switch s.Name() {
		case "ipfi.call 1":
			clientSpan = s
		case "ipfi.serve 1":
			serverSpan = s
		}
	}
	if clientSpan == nil || serverSpan == nil {
		t.Fatal(errors.New("missing the client or the server span"))
	}
	if serverSpan.SpanContext().TraceID() != clientSpan.SpanContext().TraceID() || serverSpan.Parent().SpanID() != clientSpan.SpanContext().SpanID() {
		t.Fatalf("the server's span (trace %s, parent %s) is not the client's (trace %s, span %s) child",
			serverSpan.SpanContext().TraceID(), serverSpan.Parent().SpanID(), clientSpan.SpanContext().TraceID(), clientSpan.SpanContext().SpanID())
	}
}

// signalEnd is a span processor that says when a span has ended.
type signalEnd struct {
	*tracetest.SpanRecorder
	ended chan<- struct{}
}

func (p signalEnd) OnEnd(s sdktrace.ReadOnlySpan) {
	p.SpanRecorder.OnEnd(s)
	p.ended <- struct{}{}
}

// servedAll waits until interface i serves no call: each call's actor is
// released only after its procedure and its interceptors (the metrics)
// have returned. It looks at the live view until then, at most 10 s.
func servedAll(t *testing.T, i *ipfi.Interface) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		serving := 0
		for _, w := range i.Snapshot().Wires {
			serving += len(w.Serving)
		}
		if serving == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls still served after 10 s", serving)
		}
		runtime.Gosched()
	}
}
