package tests

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestServedWireCallsBackAtOnce: a procedure of a served wire reaches its
// caller through WireFrom on the very first call, which may arrive while
// Serve is still setting the wire up (the handle must be linked to its wire
// before the wire reads anything: run with -race).
func TestServedWireCallsBackAtOnce(t *testing.T) {
	server, client := newInterface(t), newInterface(t)
	must(t, server.Register(1, procedures.Func1(func(ctx context.Context, name string) (string, error) {
		w := ipfi.WireFrom(ctx)
		if w == nil {
			return "", errors.New("no wire in the procedure's context")
		}
		return ipfi.Call[string](ctx, w, 2, name)
	})))
	must(t, client.Register(2, procedures.Func1(func(_ context.Context, name string) (string, error) {
		return "called back: " + name, nil
	})))
	addr, stop := serveLoopback(t, server)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 50 {
		w, err := client.Dial(ctx, "tcp", addr)
		must(t, err)
		got, err := ipfi.Call[string](ctx, w, 1, "x")
		if err != nil || got != "called back: x" {
			t.Fatalf("call = %q, %v", got, err)
		}
		must(t, w.Close())
	}
	stop()
}
