package main

import (
	"fmt"
	"strconv"
	"strings"
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
func echoScenario(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("echo_%dm", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("echo_%dk", n>>10)
	}
	return fmt.Sprintf("echo_%d", n)
}

// echoSize returns the size of the echo scenario named name (unary_64k is
// the 64 KiB echo), or false if name is none.
func echoSize(name string) (int, bool) {
	if name == unary64K {
		return echoSize64K, true
	}
	s, ok := strings.CutPrefix(name, "echo_")
	if !ok {
		return 0, false
	}
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"):
		s, mult = strings.TrimSuffix(s, "k"), 1<<10
	case strings.HasSuffix(s, "m"):
		s, mult = strings.TrimSuffix(s, "m"), 1<<20
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n * mult, true
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
