package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// tinyConfig is the quick run's shape with counts small enough for -race.
func tinyConfig() config {
	return config{
		rounds: 2, budget: time.Second, streamLen: 500,
		batches: map[string]int{
			unarySmall: 5, unary64K: 3, c64OneConn: 128, c64Conns: 128, stream100K: 1, connectCall: 3,
		},
		idleWires: 50, openCalls: 300,
	}
}

// TestHarness runs the whole command with tiny counts: every system must
// answer every scenario it takes part in correctly (each operation checks
// its answer), and the JSON must have its documented shape.
func TestHarness(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := run(ctx, tinyConfig(), &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}

	want := map[string][]string{
		unarySmall:  {"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc"},
		unary64K:    {"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc"},
		c64OneConn:  {"ipfi", "ipfi_goroutine", "rawmux", "netrpc", "grpc"},
		c64Conns:    {"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc"},
		stream100K:  {"ipfi", "ipfi_goroutine", "ipfi_recv", "raw", "grpc"},
		connectCall: {"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc"},
	}
	for sc, systems := range want {
		got := rep.Scenarios[sc]
		if len(got) != len(systems) {
			t.Errorf("%s: measured %d systems, want %v", sc, len(got), systems)
		}
		for _, s := range systems {
			f, ok := got[s]
			if !ok || f.MedianNs <= 0 || f.OpsPerS <= 0 || f.CPUNsPerOp < 0 || f.AllocsPerOp < 0 {
				t.Errorf("%s %s: figures %+v (present %v)", sc, s, f, ok)
			}
			if slices.Contains(systems, "ipfi") && s != "ipfi" {
				r, iv := rep.Ratios[sc]["ipfi/"+s], rep.Intervals[sc]["ipfi/"+s]
				if r <= 0 || !(iv[0] <= r && r <= iv[1]) {
					t.Errorf("%s: ratio ipfi/%s %v, interval %v", sc, s, r, iv)
				}
			}
		}
	}
	if m := rep.Memory; m.idleWires != 50 || m.openCalls != 300 {
		t.Errorf("memory measured %d idle wires and %d open calls, want 50 and 300", m.idleWires, m.openCalls)
	}

	path := filepath.Join(t.TempDir(), "bench.json")
	if err := writeJSON(path, rep); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var shape struct {
		Scenarios map[string]map[string]map[string]float64
		Ratios    map[string]map[string]float64
		Intervals map[string]map[string][2]float64
		Memory    map[string]float64
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	json.Unmarshal(raw, &top)
	if len(top) != 4 || len(shape.Scenarios[unarySmall]["ipfi"]) != 4 || len(shape.Memory) != 2 {
		t.Errorf("JSON shape:\n%s", raw)
	}
	for _, k := range []string{"median_ns", "ops_per_s", "cpu_ns_per_op", "allocs_per_op"} {
		if _, ok := shape.Scenarios[unarySmall]["ipfi"][k]; !ok {
			t.Errorf("JSON lacks %s:\n%s", k, raw)
		}
	}
	for _, k := range []string{"idle_wire_bytes", "open_call_bytes"} {
		if _, ok := shape.Memory[k]; !ok {
			t.Errorf("JSON lacks memory.%s:\n%s", k, raw)
		}
	}
}

// TestSweep runs the size sweep with one echo per size: every system must
// echo every size correctly, and each size is a scenario of its own in the
// report.
func TestSweep(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := sweepConfig()
	cfg.rounds = 1
	for k := range cfg.batches {
		cfg.batches[k] = 1
	}
	var out bytes.Buffer
	rep, err := run(ctx, cfg, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sweepSizes {
		name := echoScenario(s.size)
		if n, ok := echoSize(name); !ok || n != s.size {
			t.Errorf("scenario %s reads as size %d (%v), want %d", name, n, ok, s.size)
		}
		for _, sys := range []string{"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc"} {
			if f, ok := rep.Scenarios[name][sys]; !ok || f.MedianNs <= 0 {
				t.Errorf("%s %s: figures %+v (present %v)", name, sys, f, ok)
			}
		}
	}
}
