package main

import (
	"context"
	"testing"
)

// TestNetSystems runs ipfi_tls and ipfi_quic in this process: the
// scenarios they answer, with their callers at once, and none other;
// closing them must leave no goroutine behind (goleak, TestMain).
func TestNetSystems(t *testing.T) {
	for _, start := range []struct {
		name string
		fn   func(context.Context, *env) (system, error)
	}{{"ipfi_tls", startIPFITLS}, {"ipfi_quic", startIPFIQUIC}} {
		t.Run(start.name, func(t *testing.T) {
			s, err := start.fn(context.Background(), &env{})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{unarySmall, c64OneConn, c64Conns, connectCall} {
				op := s.op(name)
				if op == nil {
					t.Errorf("%s takes no part in %s", start.name, name)
					continue
				}
				callers := 1
				if sh, ok := shapeOf(name); ok {
					callers = sh.callers
				}
				if err := runCallers(context.Background(), op, callers, 3); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			for _, name := range []string{unary64K, stream100K, pluginUnary} {
				if s.op(name) != nil {
					t.Errorf("%s answers %s", start.name, name)
				}
			}
			if err := s.close(); err != nil {
				t.Error(err)
			}
		})
	}
}
