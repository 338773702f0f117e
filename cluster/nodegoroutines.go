package cluster

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// nodeLabel is the pprof label on a node's goroutines. memberlist's
// Shutdown does not wait for the goroutines it started, and gives no way
// to: so Join starts memberlist under this label, which every goroutine
// memberlist starts inherits, with a value unique to the node, and
// Shutdown waits until a goroutine profile shows none left with it. (The
// label also marks memberlist's work in the program's CPU profiles.)
const nodeLabel = "ipfi.cluster.node"

// census is the last goroutine profile taken, as counts of goroutines by
// value of nodeLabel: one profile serves every node that waits at the
// same time.
var census struct {
	sync.Mutex
	taken  time.Time
	counts map[string]int
}

// labelled returns how many goroutines carry nodeLabel=value in a
// goroutine profile taken after after, and when that profile was taken.
func labelled(value string, after time.Time) (int, time.Time) {
	census.Lock()
	defer census.Unlock()
	if !census.taken.After(after) {
		taken := time.Now()
		var b strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		census.counts = countLabels(b.String())
		census.taken = taken
	}
	return census.counts[value], census.taken
}

// countLabels counts the goroutines of a goroutine profile in its text
// form (debug=1) by value of nodeLabel: each record is a line "N @ pc…",
// then, if its goroutines have labels, `# labels: {"key":"value", …}`.
func countLabels(profile string) map[string]int {
	counts := make(map[string]int)
	key := strconv.Quote(nodeLabel) + ":"
	records := 0
	for line := range strings.Lines(profile) {
		if count, _, ok := strings.Cut(line, " @ "); ok {
			records, _ = strconv.Atoi(count)
			continue
		}
		labels, ok := strings.CutPrefix(line, "# labels: ")
		if !ok {
			continue
		}
		if _, rest, ok := strings.Cut(labels, key); ok {
			if quoted, err := strconv.QuotedPrefix(rest); err == nil {
				value, _ := strconv.Unquote(quoted)
				counts[value] += records
			}
		}
	}
	return counts
}

// waitGoroutines waits until none of the node's goroutines is left; once
// ctx has ended and stopGrace has passed, it returns an error instead.
func (n *Node) waitGoroutines(ctx context.Context) error {
	start := time.Now()
	seen := start // a profile from before would not show what runs now
	for pause := time.Millisecond; ; pause = min(2*pause, 20*time.Millisecond) {
		left, taken := labelled(n.id, seen)
		if left == 0 {
			return nil
		}
		if ctx.Err() != nil && time.Since(start) >= stopGrace {
			return fmt.Errorf("cluster: node %s: %d goroutines of memberlist still running: %w", n.name, left, context.Cause(ctx))
		}
		seen = taken
		time.Sleep(pause)
	}
}

// stopGrace is the least time Shutdown waits for memberlist's goroutines
// to end, even if its ctx has ended: they take a moment to notice that
// memberlist has shut down.
const stopGrace = 100 * time.Millisecond
