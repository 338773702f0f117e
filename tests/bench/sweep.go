package main

import (
	"fmt"
	"time"
)

// The sweep (-sweep) is made of scenarios named by their shapes (shape.go,
// streamshape.go), each a key of its own in the JSON:
//
//   - sizes: a unary echo by one caller from 64 B to 4 MiB (echo_64 ...
//     echo_4m);
//   - streams: of small values (stream_100k, as in the other runs), of
//     1 KiB values and of 16 KiB ones (stream_10k_of_1k, stream_1k_of_16k);
//   - payloads at 100 callers: echoes of 1, 4, 16 and 64 KiB by 100
//     callers, over one connection and over a connection each
//     (echo_4k_c100_one, echo_4k_c100_each ...);
//   - callers at 1 KiB: echoes of 1 KiB by 10, 100 (the payload sweep's
//     point) and 1000 callers, over one connection and a connection each
//     (echo_1k_c10_one ... echo_1k_c1000_each);
//   - connections: small calls by 256 and 1000 callers with a connection
//     each (small_c256_each, small_c1000_each).
//
// The payload and caller sweeps have the shapes of Kitex's published
// benchmarks (a payload sweep at 100 concurrent callers, a concurrency
// sweep with a 1 KB echo). Every system takes part in every scenario it
// can answer: raw (one caller, or a connection each; not several callers
// on one connection, which is rawmux's part), rawmux (several callers on
// one connection), net/rpc (no streams).

// sweepList is the sweep's scenarios, in report order, and how many
// operations a round makes of each (a batch of roughly 0.1 to 0.3 s for
// ipfi).
var sweepList = []struct {
	name  string
	batch int
}{
	{"echo_64", 2500}, {"echo_1k", 2500}, {"echo_16k", 2000}, {"echo_64k", 800},
	{"echo_256k", 200}, {"echo_1m", 80}, {"echo_4m", 32},

	{stream100K, 5}, {"stream_10k_of_1k", 8}, {"stream_1k_of_16k", 8},

	{"echo_1k_c100_one", 10_000}, {"echo_1k_c100_each", 4000},
	{"echo_4k_c100_one", 6000}, {"echo_4k_c100_each", 3000},
	{"echo_16k_c100_one", 3000}, {"echo_16k_c100_each", 2500},
	{"echo_64k_c100_one", 500}, {"echo_64k_c100_each", 1000},

	{"echo_1k_c10_one", 7000}, {"echo_1k_c10_each", 4000},
	{"echo_1k_c1000_one", 8000}, {"echo_1k_c1000_each", 3000},

	{"small_c256_each", 3000}, {"small_c1000_each", 3000},
}

// echoSize returns the size a scenario's callers echo (unary_64k, echo_1k,
// echo_1k_c100_each...), or false if it echoes nothing.
func echoSize(name string) (int, bool) {
	sh, ok := shapeOf(name)
	return sh.size, ok && sh.size > 0
}

// sweepConfig is the -sweep run: rounds of about a minute, none started
// after four and a half (past minRounds), so that the run ends within six
// minutes (main's limit).
func sweepConfig() config {
	c := config{rounds: 6, budget: 4*time.Minute + 30*time.Second, streamLen: 100_000, batches: map[string]int{}}
	for _, s := range sweepList {
		c.names = append(c.names, s.name)
		c.batches[s.name] = s.batch
	}
	return c
}

// sweepScenarios returns the scenarios of c.names, in order.
func (c config) sweepScenarios() []scenario {
	var out []scenario
	for _, name := range c.names {
		if c.only != nil && !c.only[name] {
			continue
		}
		sc, ok := c.namedScenario(name)
		if !ok {
			panic(fmt.Sprintf("bench: the sweep's scenario %q has no shape", name))
		}
		sc.batch = max(c.batches[name], 1)
		out = append(out, sc)
	}
	return out
}

// namedScenario returns the scenario named name, a unary shape, a stream
// of byte strings or stream_100k, without its batch.
func (c config) namedScenario(name string) (scenario, bool) {
	if sh, ok := shapeOf(name); ok {
		return scenario{name: name, what: sh.what(), callers: sh.callers, items: 1}, true
	}
	if st, ok := streamShapeOf(name); ok {
		return scenario{name: name, what: st.what(), callers: 1, items: st.count}, true
	}
	if name == stream100K {
		return scenario{name: name, what: streamSmallWhat, callers: 1, items: c.streamLen}, true
	}
	return scenario{}, false
}

// sizeText writes n bytes for a table's heading.
func sizeText(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
