package ipfiotel_test

import (
	"context"
	"errors"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiotel"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestCancelledCallsAreCounted: a call whose context was cancelled (by its
// caller here, by the wire's end as the interface closes in Example) is
// still recorded on both sides, under code "cancelled" on the server's:
// the measurements are not made with the call's cancelled context, which
// OpenTelemetry would drop.
func TestCancelledCallsAreCounted(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	tel, err := ipfiotel.New(ipfiotel.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	server, err := ipfi.New(ipfi.WithInterceptors(tel))
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	started, cancelled := make(chan struct{}), make(chan struct{})
	if err := server.Register(1, procedures.Func0(func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		close(cancelled) // by the caller's Cancel message (the wire is up)
		return 0, context.Cause(ctx)
	})); err != nil {
		t.Fatal(err)
	}
	client, err := ipfi.New(ipfi.WithInterceptors(tel))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	w, _, err := ipfitest.Pipe(client, server)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cctx, cancelCall := context.WithCancel(ctx)
	go func() { <-started; cancelCall() }()
	if _, err := ipfi.Call[int](cctx, w, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("the call: %v, want context.Canceled", err)
	}
	<-cancelled
	if err := server.Close(); err != nil { // every interceptor has returned
		t.Fatal(err)
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range sum.DataPoints {
					code, _ := dp.Attributes.Value("code")
					got[m.Name+" "+code.AsString()] += dp.Value
				}
			}
		}
	}
	if got["ipfi.server.calls cancelled"] != 1 || got["ipfi.client.calls cancelled"] != 1 {
		t.Fatalf("recorded %v, want one cancelled call on each side", got)
	}
}
