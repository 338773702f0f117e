package main

import (
	"fmt"
	"time"
)

// The size sweep (-sweep): a unary echo at sizes from tens of bytes to
// several MiB, every system that echoes at every size. Each size is a
// scenario of its own, named echo_SIZE (echo_64, echo_1k ... echo_4m), so
// the JSON keeps one key per size.

// sweepSizes are the echo sizes of the sweep, and how many echoes a round
// makes at each (about the same time per round for ipfi).
var sweepSizes = []struct{ size, batch int }{
	{64, 1000}, {1 << 10, 1000}, {16 << 10, 500}, {64 << 10, 300},
	{256 << 10, 100}, {1 << 20, 30}, {4 << 20, 8},
}

// echoScenario returns the name of the echo scenario of size n.
func echoScenario(n int) string { return shape{size: n, callers: 1}.name() }

// echoSize returns the size a scenario's callers echo (unary_64k, echo_1k,
// echo_1k_c100_each...), or false if it echoes nothing.
func echoSize(name string) (int, bool) {
	sh, ok := shapeOf(name)
	return sh.size, ok && sh.size > 0
}

// sweepConfig is the -sweep run: the echo sizes, at most six minutes.
func sweepConfig() config {
	c := config{rounds: 7, budget: 5 * time.Minute, batches: map[string]int{}, sweep: true}
	for _, s := range sweepSizes {
		c.batches[echoScenario(s.size)] = s.batch
	}
	return c
}

// sweepScenarios returns the sweep's scenarios, in size order.
func (c config) sweepScenarios() []scenario {
	var out []scenario
	for _, s := range sweepSizes {
		name := echoScenario(s.size)
		if c.only != nil && !c.only[name] {
			continue
		}
		out = append(out, scenario{name: name, what: fmt.Sprintf("sequential round trips, %s echoed", sizeText(s.size)), callers: 1, items: 1, batch: c.batches[name]})
	}
	return out
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
