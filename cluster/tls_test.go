package cluster

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
)

// TestClientOverTLS: with ipfi.WithTLS in DialOptions, the client's wires
// to TLS servers verify them and carry calls; every wire has TLS.
func TestClientOverTLS(t *testing.T) {
	ca, err := ipfitest.NewCA()
	must(t, err)
	serverTLS, clientTLS, err := ca.Loopback()
	must(t, err)
	var ms []Member
	for _, name := range []string{"a", "b"} {
		i, err := ipfi.New()
		must(t, err)
		t.Cleanup(func() { i.Close() })
		must(t, whoAmI.Register(i, func(context.Context) (string, error) { return name, nil }))
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		go i.Serve(context.Background(), l, ipfi.WithTLS(serverTLS)) // returns as i closes
		ms = append(ms, Member{ID: name, Network: "tcp", Addr: l.Addr().String()})
	}
	c := newClient(t, Static(ms...), func(cfg *ClientConfig) { cfg.DialOptions = []ipfi.Option{ipfi.WithTLS(clientTLS)} })
	waitUp(t, c, 2)
	ctx := bounded(t, 10*time.Second)
	seen := map[string]bool{}
	for range 4 {
		got, err := whoAmI.Call(ctx, c)
		must(t, err)
		seen[got] = true
	}
	if !seen["a"] || !seen["b"] {
		t.Fatalf("calls reached %v, want both servers", seen)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, m := range c.members {
		if w := m.wire(); w == nil || w.TLS() == nil {
			t.Fatalf("member %s's wire has no TLS", id)
		}
	}
}
