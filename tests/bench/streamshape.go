package main

import (
	"fmt"
	"strconv"
	"strings"
)

// streamShape is what a stream of byte strings carries: count values of
// size bytes each, all alike (the echo pattern of makeEcho). The small
// values' stream, stream_100k, is a scenario of its own (a counter).
type streamShape struct {
	count int // values per stream
	size  int // bytes per value
}

// streamShapeOf returns the shape of the stream scenario named name, or
// false if name is no such scenario: stream_COUNT_of_SIZE, COUNT in
// thousands (k) or millions (m) as stream_100k counts, SIZE as echo
// sizes are written (stream_10k_of_1k: 10,000 values of 1 KiB).
func streamShapeOf(name string) (streamShape, bool) {
	rest, ok := strings.CutPrefix(name, "stream_")
	if !ok {
		return streamShape{}, false
	}
	count, size, ok := strings.Cut(rest, "_of_")
	if !ok {
		return streamShape{}, false
	}
	n, okN := parseCount(count)
	sz, okS := parseSize(size)
	if !okN || !okS {
		return streamShape{}, false
	}
	return streamShape{count: n, size: sz}, true
}

// name returns the scenario name of st (see streamShapeOf).
func (st streamShape) name() string {
	return "stream_" + countName(st.count) + "_of_" + sizeName(st.size)
}

// what says what one operation of st is, for its table.
func (st streamShape) what() string {
	return fmt.Sprintf("server streams of %d values of %s; per value", st.count, sizeText(st.size))
}

// checkCount reports a stream of system that ended after got values.
func (st streamShape) checkCount(system string, got int) error {
	if got != st.count {
		return fmt.Errorf("bench: %s stream ended after %d values, want %d", system, got, st.count)
	}
	return nil
}

// countName writes n as stream names count: 500, 10k, 1m.
func countName(n int) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return fmt.Sprintf("%dm", n/1e6)
	case n >= 1e3 && n%1e3 == 0:
		return fmt.Sprintf("%dk", n/1e3)
	}
	return strconv.Itoa(n)
}

// parseCount reads a count as countName writes it.
func parseCount(s string) (int, bool) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"):
		s, mult = strings.TrimSuffix(s, "k"), 1e3
	case strings.HasSuffix(s, "m"):
		s, mult = strings.TrimSuffix(s, "m"), 1e6
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n * mult, true
}
