package main

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// pluginSystems are the systems that take part in plugin_unary.
var pluginSystems = []string{"ipfi", "ipfi_goroutine", "netrpc", "goplugin"}

// TestPluginOp starts each system's plugin from this process (the test
// binary is the plugin: TestMain), calls it and stops it: nothing of the
// host may be left running, and the plugin must exit cleanly.
func TestPluginOp(t *testing.T) {
	for _, system := range pluginSystems {
		t.Run(system, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			op, stop, err := pluginOp(ctx, system)
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				if err := op(ctx); err != nil {
					t.Error(err)
					break
				}
			}
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
	}
	op, stop, err := pluginOp(context.Background(), "raw")
	if op != nil || err != nil || stop() != nil {
		t.Errorf("system raw has a plugin: op %v, error %v", op != nil, err)
	}
}

// TestPluginUnary measures plugin_unary as a round does, in a child per
// system: each of the four systems gives one figure, and no other system
// any.
func TestPluginUnary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sc := scenario{name: pluginUnary, callers: 1, items: 1, batch: 3}
	for _, system := range append([]string{"ipfi_recv"}, pluginSystems...) {
		res, err := runInChild(ctx, childJob{System: system, StreamLen: 1, Scenarios: []scenario{sc}})
		if err != nil {
			t.Fatal(err)
		}
		if system == "ipfi_recv" {
			if len(res) != 0 {
				t.Errorf("ipfi_recv measured %+v, want nothing", res)
			}
			continue
		}
		if len(res) != 1 || res[0].Scenario != pluginUnary || res[0].NsPerOp <= 0 || res[0].Items != 3 {
			t.Errorf("%s: results %+v, want one plugin_unary batch of 3", system, res)
		}
	}
}
