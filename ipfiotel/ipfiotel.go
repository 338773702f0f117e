package ipfiotel

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ipfi-go/ipfi"
)

// instrumentation is the name the library's meter and tracer go by.
const instrumentation = "github.com/ipfi-go/ipfi"

// Option configures New.
type Option func(*config)

type config struct {
	meter    metric.MeterProvider
	tracer   trace.TracerProvider
	appCodes map[uint64]string // WithErrorCodes
	peers    bool              // WithPeerLabels
}

// WithMeterProvider records the interface's metrics through mp: calls
// served and made, by procedure and result code (ipfi.server.calls,
// ipfi.client.calls), their durations in seconds (ipfi.server.duration,
// ipfi.client.duration), argument bytes received and response bytes and
// values sent (ipfi.server.arg_bytes, ipfi.server.response_bytes,
// ipfi.server.values), calls being served (ipfi.server.active), wires open
// (ipfi.wires.open) and wires ended by cause (ipfi.wires.ended); the
// package doc lists every attribute and its values. Calls made are those
// of ipfi.Call and Wire.Call and the streams of Wire.Stream and
// Wire.Open. Default (or nil): no metrics.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.meter = mp } }

// WithPeerLabels adds the attribute peer to the metrics and spans of the
// calls and streams the interface makes: the label of the wire each went
// over (ipfi.Wire.SetLabel; "" for a wire without one). For a program that
// labels its wires from a set it bounds, such as package cluster's Client,
// which labels each wire with its member's ID, so that calls are counted
// per server. Default: calls made carry no peer.
func WithPeerLabels() Option { return func(c *config) { c.peers = true } }

// WithTracerProvider records a span per call through tp, on both sides:
// the caller's span (for a call or a stream made) travels in the call's
// metadata as a W3C trace context ("traceparent"), and the callee's span
// is its child. Default (or nil): no spans.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tracer = tp } }

// New returns the interceptor that records what opts ask for, to install
// with ipfi.WithInterceptors (first, to be the outermost). Without a meter
// or a tracer provider it is the zero Interceptor, which records nothing
// and costs nothing. It fails if an instrument cannot be made, or with an
// error matching ipfi.ErrInvalidOption for a name WithErrorCodes cannot
// use.
func New(opts ...Option) (ipfi.Interceptor, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if err := validCodes(c.appCodes); err != nil {
		return ipfi.Interceptor{}, err
	}
	t, err := newTelemetry(c.meter, c.tracer)
	if err != nil || t == nil {
		return ipfi.Interceptor{}, err
	}
	t.appCodes, t.peers = c.appCodes, c.peers
	return ipfi.Interceptor{Server: t.server, Client: t.client, ClientStream: t.clientStream, WireOpened: t.opened, WireEnded: t.ended}, nil
}

// telemetry holds the instruments of WithMeterProvider and the tracer of
// WithTracerProvider, and makes the interceptors that record them.
type telemetry struct {
	tracer   trace.Tracer // nil without a TracerProvider
	prop     propagation.TraceContext
	appCodes map[uint64]string // the application's code names (WithErrorCodes); read only
	peers    bool              // calls made carry their wire's label (WithPeerLabels)

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
	peer string // a call made's wire label, with WithPeerLabels
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
// with result code, and peer when the call was made with WithPeerLabels.
func (t *telemetry) resultOpt(p uint64, code string, peer *string) metric.MeasurementOption {
	k := resultKey{proc: p, code: code}
	if peer != nil {
		k.peer = *peer
	}
	if v, ok := t.resultSets.Load(k); ok {
		return v.(metric.MeasurementOption)
	}
	attrs := []attribute.KeyValue{procAttr(p), attribute.String("code", code)}
	if peer != nil {
		attrs = append(attrs, attribute.String("peer", *peer))
	}
	o := metric.WithAttributeSet(attribute.NewSet(attrs...))
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
