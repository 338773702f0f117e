package ipfiotel_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiotel"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
)

// An interface whose calls are counted through an OpenTelemetry meter.
func Example() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	tel, err := ipfiotel.New(ipfiotel.WithMeterProvider(mp))
	if err != nil {
		panic(err)
	}

	server, _ := ipfi.New(ipfi.WithInterceptors(tel))
	defer server.Close()
	server.Register(1, procedures.Func0(func(context.Context) (int, error) { return 1, nil }))
	client, _ := ipfi.New()
	defer client.Close()
	w, _, err := ipfitest.Pipe(client, server)
	if err != nil {
		panic(err)
	}
	for range 3 {
		if _, err := ipfi.Call[int](context.Background(), w, 1); err != nil {
			panic(err)
		}
	}

	server.Close() // every call's interceptor has returned: its call is recorded

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "ipfi.server.calls" {
				for _, dp := range sum.DataPoints {
					code, _ := dp.Attributes.Value("code")
					proc, _ := dp.Attributes.Value("procedure")
					fmt.Println(m.Name, "procedure", proc.AsString(), "code", code.AsString(), dp.Value)
				}
			}
		}
	}
	// Output: ipfi.server.calls procedure 1 code ok 3
}
