package tests

import (
	"context"
	"errors"
	"net"
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx, l) }()
	for range 50 {
		w, err := client.Dial(ctx, "tcp", l.Addr().String())
		must(t, err)
		got, err := ipfi.Call[string](ctx, w, 1, "x")
		if err != nil || got != "called back: x" {
			t.Fatalf("call = %q, %v", got, err)
		}
		must(t, w.Close())
	}
	cancel()
	if err := <-served; err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, ipfi.ErrClosed) {
		t.Fatalf("Serve: %v", err)
	}
}
