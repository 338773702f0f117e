package main

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestDRPC runs the drpc system in this process: every unary shape it
// answers, with its callers at once, and connect_call; closing it must
// leave no goroutine behind (goleak, TestMain).
func TestDRPC(t *testing.T) {
	s, err := startDRPC(context.Background(), &env{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{
		unarySmall, unary64K, c64OneConn, c64Conns, connectCall,
		"echo_4m", "small_c8_one", "small_c8_each", "echo_1k_c16_one", "echo_1k_c16_each",
	} {
		op := s.op(name)
		if op == nil {
			t.Errorf("drpc takes no part in %s", name)
			continue
		}
		callers := 1
		if sh, ok := shapeOf(name); ok {
			callers = sh.callers
		}
		if err := runCallers(ctx, op, callers, 3); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{stream100K, pluginUnary} {
		if s.op(name) != nil {
			t.Errorf("drpc answers %s", name)
		}
	}
	if err := s.close(); err != nil {
		t.Error(err)
	}
}

// runCallers runs op n times in each of callers goroutines at once and
// returns their errors, joined.
func runCallers(ctx context.Context, op func(context.Context) error, callers, n int) error {
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			for range n {
				if errs[i] = op(ctx); errs[i] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
