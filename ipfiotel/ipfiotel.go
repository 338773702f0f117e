// Package ipfiotel records an ipfi interface's metrics and traces through
// OpenTelemetry, as otelconnect does for connect-go and otelgrpc for
// grpc-go: New makes an ipfi.Interceptor that the program installs with
// ipfi.WithInterceptors,
//
//	tel, err := ipfiotel.New(ipfiotel.WithMeterProvider(mp), ipfiotel.WithTracerProvider(tp))
//	if err != nil { ... }
//	iface, err := ipfi.New(ipfi.WithInterceptors(tel, auth))
//
// Given first, as here, it is the outermost interceptor: it records the
// time and the result the others make (a call auth refuses is counted
// with its code). The package imports only OpenTelemetry's API; the program
// chooses the SDK and the exporter (examples/metrics exports through
// Prometheus).
package ipfiotel

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/actors"
)

// instrumentation is the name the library's meter and tracer go by.
const instrumentation = "github.com/ipfi-go/ipfi"

// Option configures New.
type Option func(*config)

type config struct {
	meter  metric.MeterProvider
	tracer trace.TracerProvider
}

// WithMeterProvider records the interface's metrics through mp: calls
// served and made, by procedure and result code (ipfi.server.calls,
// ipfi.client.calls), their durations in seconds (ipfi.server.duration,
// ipfi.client.duration), argument bytes received and response bytes and
// values sent (ipfi.server.arg_bytes, ipfi.server.response_bytes,
// ipfi.server.values), calls being served (ipfi.server.active), wires open
// (ipfi.wires.open) and wires ended by cause (ipfi.wires.ended). Client
// calls are those ipfi.Call and Wire.Call make. Default (or
// nil): no metrics.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.meter = mp } }

// WithTracerProvider records a span per call through tp, on both sides:
// the caller's span (for ipfi.Call and Wire.Call) travels in
// the call's metadata as a W3C trace context ("traceparent"), and the
// callee's span is its child. Default (or nil): no spans.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tracer = tp } }

// New returns the interceptor that records what opts ask for, to install
// with ipfi.WithInterceptors (first, to be the outermost). Without a meter
// or a tracer provider it is the zero Interceptor, which records nothing
// and costs nothing. It fails if an instrument cannot be made.
func New(opts ...Option) (ipfi.Interceptor, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	t, err := newTelemetry(c.meter, c.tracer)
	if err != nil || t == nil {
		return ipfi.Interceptor{}, err
	}
	return ipfi.Interceptor{Server: t.server, Client: t.client, WireOpened: t.opened, WireEnded: t.ended}, nil
}

// telemetry holds the instruments of WithMeterProvider and the tracer of
// WithTracerProvider, and makes the interceptors that record them.
type telemetry struct {
	tracer trace.Tracer // nil without a TracerProvider
	prop   propagation.TraceContext

	serverCalls, clientCalls       metric.Int64Counter
	serverDuration, clientDuration metric.Float64Histogram
	argBytes, respBytes, values    metric.Int64Counter
	active, wiresOpen              metric.Int64UpDownCounter
	wiresEnded                     metric.Int64Counter

	// The attribute sets of the calls recorded so far, built once each
	// (building one per call cost most of the metrics' allocations): by
	// procedure, and by procedure and result code. At most maxSets of
	// each are kept; past that (a peer calling many unknown procedures)
	// they are built per call.
	procSets, resultSets sync.Map // uint64 or resultKey -> metric.MeasurementOption
	nSets                atomic.Int64
}

type resultKey struct {
	proc uint64
	code string
}

// maxSets bounds the attribute sets telemetry keeps.
const maxSets = 4096

// procOpt returns the measurement option of procedure p's attributes.
func (t *telemetry) procOpt(p uint64) metric.MeasurementOption {
	if v, ok := t.procSets.Load(p); ok {
		return v.(metric.MeasurementOption)
	}
	o := metric.WithAttributeSet(attribute.NewSet(procAttr(p)))
	if t.nSets.Add(1) <= maxSets {
		t.procSets.Store(p, o)
	}
	return o
}

// resultOpt returns the measurement option of procedure p's attributes
// with result code.
func (t *telemetry) resultOpt(p uint64, code string) metric.MeasurementOption {
	k := resultKey{p, code}
	if v, ok := t.resultSets.Load(k); ok {
		return v.(metric.MeasurementOption)
	}
	o := metric.WithAttributeSet(attribute.NewSet(procAttr(p), attribute.String("code", code)))
	if t.nSets.Add(1) <= maxSets {
		t.resultSets.Store(k, o)
	}
	return o
}

func procAttr(p uint64) attribute.KeyValue {
	return attribute.String("procedure", strconv.FormatUint(p, 10))
}

// newTelemetry makes the instruments; it returns nil when there is
// nothing to record.
func newTelemetry(mp metric.MeterProvider, tp trace.TracerProvider) (*telemetry, error) {
	if mp == nil && tp == nil {
		return nil, nil
	}
	t := &telemetry{}
	if tp != nil {
		t.tracer = tp.Tracer(instrumentation)
	}
	if mp == nil {
		return t, nil
	}
	m := mp.Meter(instrumentation)
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	t.serverCalls, err = m.Int64Counter("ipfi.server.calls", metric.WithDescription("Calls served, by procedure and result code."))
	add(err)
	t.clientCalls, err = m.Int64Counter("ipfi.client.calls", metric.WithDescription("Calls made, by procedure and result code."))
	add(err)
	t.serverDuration, err = m.Float64Histogram("ipfi.server.duration", metric.WithUnit("s"), metric.WithDescription("Duration of calls served."))
	add(err)
	t.clientDuration, err = m.Float64Histogram("ipfi.client.duration", metric.WithUnit("s"), metric.WithDescription("Duration of calls made."))
	add(err)
	t.argBytes, err = m.Int64Counter("ipfi.server.arg_bytes", metric.WithUnit("By"), metric.WithDescription("Argument bytes of calls served."))
	add(err)
	t.respBytes, err = m.Int64Counter("ipfi.server.response_bytes", metric.WithUnit("By"), metric.WithDescription("Response bytes of calls served."))
	add(err)
	t.values, err = m.Int64Counter("ipfi.server.values", metric.WithDescription("Values sent by calls served: one for a unary procedure, each value of a stream."))
	add(err)
	t.active, err = m.Int64UpDownCounter("ipfi.server.active", metric.WithDescription("Calls being served."))
	add(err)
	t.wiresOpen, err = m.Int64UpDownCounter("ipfi.wires.open", metric.WithDescription("Wires open."))
	add(err)
	t.wiresEnded, err = m.Int64Counter("ipfi.wires.ended", metric.WithDescription("Wires ended, by cause."))
	add(err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// codeName is a call's result for metrics and spans: "ok", or its code.
func codeName(err error) string {
	if err == nil {
		return "ok"
	}
	var re *ipfi.RemoteError
	if errors.As(err, &re) {
		return re.Code.String()
	}
	if errors.Is(err, ipfi.ErrWireTerminated) {
		return "wire terminated"
	}
	return actors.CodeOf(err).String()
}

// server records a call served: the Server function of the interceptor
// New makes.
func (t *telemetry) server(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
	if t.tracer != nil {
		proc := procAttr(uint64(info.Procedure))
		ctx = t.prop.Extract(ctx, propagation.MapCarrier(info.Metadata))
		var span trace.Span
		ctx, span = t.tracer.Start(ctx, "ipfi.serve "+proc.Value.AsString(), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(proc))
		defer span.End()
		err := t.serverMetrics(ctx, info, next)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.SetAttributes(attribute.String("code", codeName(err)))
		return err
	}
	return t.serverMetrics(ctx, info, next)
}

func (t *telemetry) serverMetrics(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
	if t.serverCalls == nil {
		return next(ctx)
	}
	p := uint64(info.Procedure)
	set := t.procOpt(p)
	// Measured without the call's cancellation: OpenTelemetry drops a
	// measurement whose context is done, and a cancelled call, or one
	// whose wire ends, must still count (and leave ipfi.server.active).
	mctx := context.WithoutCancel(ctx)
	t.active.Add(mctx, 1, set)
	t.argBytes.Add(mctx, int64(info.ArgBytes), set)
	start := time.Now()
	err := next(ctx)
	t.active.Add(mctx, -1, set)
	if r := info.Response; r != nil {
		t.respBytes.Add(mctx, r.Bytes, set)
		t.values.Add(mctx, r.Values, set)
	}
	result := t.resultOpt(p, codeName(err))
	t.serverCalls.Add(mctx, 1, result)
	t.serverDuration.Record(mctx, time.Since(start).Seconds(), result)
	return err
}

// client records a call made: the Client function of the interceptor New
// makes.
func (t *telemetry) client(ctx context.Context, info ipfi.CallInfo, invoke func(context.Context) error) error {
	var span trace.Span
	if t.tracer != nil {
		proc := procAttr(uint64(info.Procedure))
		ctx, span = t.tracer.Start(ctx, "ipfi.call "+proc.Value.AsString(), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(proc))
		defer span.End()
		carrier := propagation.MapCarrier{}
		t.prop.Inject(ctx, carrier)
		for k, v := range carrier {
			ctx = ipfi.AppendMetadata(ctx, k, v)
		}
	}
	start := time.Now()
	err := invoke(ctx)
	if span != nil {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.SetAttributes(attribute.String("code", codeName(err)))
	}
	if t.clientCalls != nil {
		result := t.resultOpt(uint64(info.Procedure), codeName(err))
		mctx := context.WithoutCancel(ctx) // a cancelled call counts too (see serverMetrics)
		t.clientCalls.Add(mctx, 1, result)
		t.clientDuration.Record(mctx, time.Since(start).Seconds(), result)
	}
	return err
}

// opened and ended count wires: the WireOpened and WireEnded functions of
// the interceptor New makes.
func (t *telemetry) opened(*ipfi.Wire) {
	if t.wiresOpen != nil {
		t.wiresOpen.Add(context.Background(), 1)
	}
}

func (t *telemetry) ended(_ *ipfi.Wire, cause error) {
	if t.wiresOpen != nil {
		t.wiresOpen.Add(context.Background(), -1)
		t.wiresEnded.Add(context.Background(), 1, metric.WithAttributes(attribute.String("cause", causeName(cause))))
	}
}

// causeName is a wire's cause for metrics: its sentinel's text.
func causeName(err error) string {
	for _, s := range []error{ipfi.ErrClosed, ipfi.ErrPeerTerminated, ipfi.ErrPeerClosed, ipfi.ErrKeepaliveTimeout,
		ipfi.ErrWriteTimeout, ipfi.ErrHandshakeTimeout, ipfi.ErrIdleTimeout, ipfi.ErrProcessExited} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "other"
}
