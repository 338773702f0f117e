package ipfiotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/actors"
)

// server records a call served: the Server function of the interceptor
// New makes. A procedure that panics is recorded (with code "panic") as
// the panic goes by, on its way to the wire that answers it.
func (t *telemetry) server(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) (err error) {
	s := served{proc: uint64(info.Procedure), argBytes: info.ArgBytes, resp: info.Response}
	if t.tracer != nil {
		proc := procAttr(s.proc)
		ctx = t.prop.Extract(ctx, propagation.MapCarrier(info.Metadata))
		ctx, s.span = t.tracer.Start(ctx, "ipfi.serve "+proc.Value.AsString(), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(proc))
	}
	t.begun(ctx, &s)
	panicked := true
	defer func() {
		code := codePanic
		if !panicked {
			code = t.serverCode(err)
		}
		t.served(&s, err, code)
	}()
	err = next(ctx)
	panicked = false
	return err
}

// served is a call served, from its start (begun) to its end.
type served struct {
	proc     uint64
	argBytes int
	resp     *actors.CallOut // counts the response, once next has returned
	span     trace.Span      // nil without a tracer
	set      metric.MeasurementOption
	mctx     context.Context // nil without a meter
	start    time.Time
}

// begun records that a call began to be served.
func (t *telemetry) begun(ctx context.Context, s *served) {
	if t.serverCalls != nil {
		s.set = t.procOpt(s.proc)
		// Measured without the call's cancellation: OpenTelemetry drops a
		// measurement whose context is done, and a cancelled call, or one
		// whose wire ends, must still count (and leave ipfi.server.active).
		s.mctx = context.WithoutCancel(ctx)
		t.active.Add(s.mctx, 1, s.set)
		t.argBytes.Add(s.mctx, int64(s.argBytes), s.set)
	}
	s.start = time.Now()
}

// served records a call served that ended with err, recorded as code.
func (t *telemetry) served(s *served, err error, code string) {
	if s.span != nil {
		if err != nil {
			s.span.SetStatus(codes.Error, err.Error())
		} else if code == codePanic {
			s.span.SetStatus(codes.Error, "panic")
		}
		s.span.SetAttributes(attribute.String("code", code))
		s.span.End()
	}
	if s.mctx == nil {
		return
	}
	t.active.Add(s.mctx, -1, s.set)
	if r := s.resp; r != nil {
		t.respBytes.Add(s.mctx, r.Bytes, s.set)
		t.values.Add(s.mctx, r.Values, s.set)
	}
	result := t.resultOpt(s.proc, code, nil)
	t.serverCalls.Add(s.mctx, 1, result)
	t.serverDuration.Record(s.mctx, time.Since(s.start).Seconds(), result)
}

// client records a call made: the Client function of the interceptor New
// makes.
func (t *telemetry) client(ctx context.Context, info ipfi.CallInfo, invoke func(context.Context) error) error {
	c := t.begin(ctx, info)
	err := invoke(c.ctx)
	c.end(t, err)
	return err
}

// clientStream records a stream made, from its opening to its end: the
// ClientStream function of the interceptor New makes.
func (t *telemetry) clientStream(ctx context.Context, info ipfi.CallInfo) (context.Context, func(error), error) {
	c := t.begin(ctx, info)
	return c.ctx, func(err error) { c.end(t, err) }, nil
}

// made is a call or stream made, from its start (begin) to its end.
type made struct {
	ctx   context.Context // the call's, with its span and its trace context in the metadata
	span  trace.Span      // nil without a tracer
	proc  uint64
	peer  *string // the wire's label, with WithPeerLabels
	start time.Time
}

// begin starts the span of a call or stream made, and puts its trace
// context in the call's metadata.
func (t *telemetry) begin(ctx context.Context, info ipfi.CallInfo) made {
	c := made{ctx: ctx, proc: uint64(info.Procedure)}
	if t.peers {
		peer := info.Wire.Label()
		c.peer = &peer
	}
	if t.tracer != nil {
		proc := procAttr(c.proc)
		attrs := []attribute.KeyValue{proc, attribute.String("kind", info.Kind.String())}
		if c.peer != nil {
			attrs = append(attrs, attribute.String("peer", *c.peer))
		}
		c.ctx, c.span = t.tracer.Start(ctx, "ipfi.call "+proc.Value.AsString(), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attrs...))
		carrier := propagation.MapCarrier{}
		t.prop.Inject(c.ctx, carrier)
		for k, v := range carrier {
			c.ctx = ipfi.AppendMetadata(c.ctx, k, v)
		}
	}
	c.start = time.Now()
	return c
}

// end records a call or stream made that ended with err.
func (c *made) end(t *telemetry, err error) {
	code := t.clientCode(c.ctx, err)
	if c.span != nil {
		if err != nil {
			c.span.SetStatus(codes.Error, err.Error())
		}
		c.span.SetAttributes(attribute.String("code", code))
		c.span.End()
	}
	if t.clientCalls != nil {
		result := t.resultOpt(c.proc, code, c.peer)
		mctx := context.WithoutCancel(c.ctx) // a cancelled call counts too (see serverMetrics)
		t.clientCalls.Add(mctx, 1, result)
		t.clientDuration.Record(mctx, time.Since(c.start).Seconds(), result)
	}
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
