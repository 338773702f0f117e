package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// quickExits spares the children of a test the race detector's second of
// sleep at exit (GORACE atexit_sleep_ms, 1000 by default): a run starts a
// child per system per round.
func quickExits(t *testing.T) {
	t.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
}

// TestHarness runs the whole command with tiny counts: every system must
// answer every scenario it takes part in correctly (each operation checks
// its answer), and the JSON must have its documented shape.
func TestHarness(t *testing.T) {
	quickExits(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := run(ctx, tinyConfig(), &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}

	want := map[string][]string{
		unarySmall:  {"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc", "drpc"},
		unary64K:    {"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc", "drpc"},
		c64OneConn:  {"ipfi", "ipfi_goroutine", "rawmux", "netrpc", "grpc", "drpc"},
		c64Conns:    {"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc", "drpc"},
		stream100K:  {"ipfi", "ipfi_goroutine", "ipfi_recv", "raw", "grpc"},
		connectCall: {"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc", "drpc"},
	}
	for sc, systems := range want {
		checkSystems(t, rep, sc, systems)
	}
	if m := rep.Memory; m.idleWires != 50 || m.openCalls != 300 {
		t.Errorf("memory measured %d idle wires and %d open calls, want 50 and 300", m.idleWires, m.openCalls)
	}

	checkJSON(t, rep)
}

// checkSystems checks that exactly systems measured scenario sc, with
// figures, and ipfi's ratios to the others with their intervals.
func checkSystems(t *testing.T, rep *report, sc string, systems []string) {
	t.Helper()
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

// checkJSON checks that rep's JSON has its documented shape.
func checkJSON(t *testing.T, rep *report) {
	t.Helper()
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

// tinySweep is the sweep's scenarios scaled down for -race: the same
// kinds of shapes with a few callers instead of hundreds, short streams
// and batches of a few operations, and echoes up to 256 KiB (each child
// decodes every sampled echo from its job, slow under -race;
// TestLargeEchoes echoes the largest size in process).
func tinySweep() config {
	c := sweepConfig()
	c.rounds, c.budget, c.streamLen = 1, time.Second, 500
	names := c.names
	c.names, c.batches = nil, map[string]int{}
	for _, name := range names {
		tiny, batch := name, 1
		if n, _ := echoSize(name); n > 256<<10 {
			continue
		}
		if sh, ok := shapeOf(name); ok && sh.callers > 1 {
			sh.callers = 1 + len(strconv.Itoa(sh.callers)) // 10 -> 3 ... 1000 -> 5
			tiny, batch = sh.name(), 3*sh.callers
		}
		if st, ok := streamShapeOf(name); ok {
			st.count = 50
			tiny = st.name()
		}
		if _, dup := c.batches[tiny]; !dup {
			c.names = append(c.names, tiny)
			c.batches[tiny] = batch
		}
	}
	return c
}

// TestSweep runs the sweep scaled down (tinySweep): every system must
// answer every scenario it takes part in correctly, and each scenario is a
// key of its own in the report.
func TestSweep(t *testing.T) {
	quickExits(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := tinySweep()
	var out bytes.Buffer
	rep, err := run(ctx, cfg, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range cfg.names {
		checkSystems(t, rep, name, sweepSystems(name))
	}
}

// sweepSystems returns the systems that must take part in a sweep
// scenario.
func sweepSystems(name string) []string {
	if sh, ok := shapeOf(name); ok {
		if !sh.each && sh.callers > 1 {
			return []string{"ipfi", "ipfi_goroutine", "rawmux", "netrpc", "grpc", "drpc"}
		}
		return []string{"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc", "drpc"}
	}
	if _, ok := streamShapeOf(name); ok {
		return []string{"ipfi", "ipfi_goroutine", "raw", "grpc"}
	}
	if name == stream100K {
		return []string{"ipfi", "ipfi_goroutine", "ipfi_recv", "raw", "grpc"}
	}
	return nil
}

// TestLargeEchoes has every system echo the sweep's largest size once, in
// this process (gRPC's and drpc's message limits are raised for it).
func TestLargeEchoes(t *testing.T) {
	largest := sweepList[0].name
	for _, s := range sweepList {
		if n, ok := echoSize(s.name); ok && n > mustEchoSize(largest) {
			largest = s.name
		}
	}
	e := &env{}
	var err error
	if e.small, e.echoes, err = sampleIPFI(context.Background(), []int{mustEchoSize(largest)}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ipfi", "ipfi_goroutine", "raw", "netrpc", "grpc", "drpc"} {
		op := startSystem(t, e, name).op(largest)
		if op == nil {
			t.Errorf("%s takes no part in %s", name, largest)
			continue
		}
		if err := op(context.Background()); err != nil {
			t.Errorf("%s %s: %v", name, largest, err)
		}
	}
}

// mustEchoSize returns the size scenario name echoes.
func mustEchoSize(name string) int {
	n, ok := echoSize(name)
	if !ok {
		panic(name + " echoes nothing")
	}
	return n
}
