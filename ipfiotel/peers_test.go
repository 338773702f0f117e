package ipfiotel_test

import (
	"context"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiotel"
	"go.opentelemetry.io/otel/attribute"
)

// TestPeerLabels: with WithPeerLabels, calls made are counted and their
// spans tagged by the label of the wire they went over; calls served
// carry no peer.
func TestPeerLabels(t *testing.T) {
	hello := ipfi.Proc0[string]{Index: 5}
	w, finish := telemetryPair(t, func(server *ipfi.Interface) {
		if err := hello.Register(server, func(context.Context) (string, error) { return "hi", nil }); err != nil {
			t.Fatal(err)
		}
	}, ipfiotel.WithPeerLabels())
	w.SetLabel("member-a")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 3 {
		if _, err := hello.Call(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	r := finish()
	if got := r.sums["ipfi.client.calls"]["[5 ok member-a]"]; got != 3 {
		t.Fatalf("ipfi.client.calls = %v, want 3 under [5 ok member-a]", r.sums["ipfi.client.calls"])
	}
	if got := r.sums["ipfi.server.calls"]["[5 ok]"]; got != 3 {
		t.Fatalf("ipfi.server.calls = %v, want 3 under [5 ok] (no peer)", r.sums["ipfi.server.calls"])
	}
	tagged := 0
	for _, s := range r.spans {
		for _, a := range s.Attributes() {
			if a == attribute.String("peer", "member-a") {
				tagged++
			}
		}
	}
	if tagged != 3 {
		t.Fatalf("%d spans carry peer member-a, want the 3 client spans", tagged)
	}
}
