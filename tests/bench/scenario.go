package main

import "time"

// Scenario names, as the table and the JSON spell them.
const (
	unarySmall  = "unary_small"  // one caller, ("John", "Doe") -> "John Doe"
	unary64K    = "unary_64k"    // one caller, 64 KiB echoed
	c64OneConn  = "c64_one_conn" // 64 callers sharing one connection, small calls
	c64Conns    = "c64_conns"    // 64 callers, one connection each, small calls
	stream100K  = "stream_100k"  // one server stream of 100,000 small values
	connectCall = "connect_call" // dial + one small call + close
	pluginUnary = "plugin_unary" // a host calling a child process over its stdio, small calls
)

// Values every system sends and checks.
const (
	firstName   = "John"
	lastName    = "Doe"
	fullName    = "John Doe"
	echoSize64K = 64 << 10
	c64         = 64
)

// streamSmallWhat says what stream_100k's operation is.
const streamSmallWhat = "server streams of small integers; per value"

// scenario is one table of the report.
type scenario struct {
	name    string
	what    string // a line saying what one operation is
	callers int    // goroutines sharing the system's one client
	items   int    // items one operation carries: stream values, or 1
	batch   int    // operations per round
}

// config holds the counts of one run.
type config struct {
	rounds    int           // rounds: each runs every system once, in a process of its own
	budget    time.Duration // no round starts after this (past minRounds)
	streamLen int           // values per stream
	batches   map[string]int
	only      map[string]bool // scenarios to run (nil: all)
	names     []string        // the sweep's scenarios, named by their shapes, instead of the others (-sweep)
	idleWires int             // idle wires for memory (0: skip)
	openCalls int             // open calls for memory (0: skip)
}

// quickConfig is the -quick run: under two minutes.
func quickConfig() config {
	return config{
		rounds: 11, budget: 75 * time.Second, streamLen: 100_000,
		batches: map[string]int{
			unarySmall: 1000, unary64K: 300, c64OneConn: 10_000, c64Conns: 10_000, stream100K: 1, connectCall: 60, pluginUnary: 1000,
		},
		idleWires: 10_000, openCalls: 100_000,
	}
}

// fullConfig is the default run: a few minutes at most.
func fullConfig() config {
	return config{
		rounds: 21, budget: 4 * time.Minute, streamLen: 100_000,
		batches: map[string]int{
			unarySmall: 2000, unary64K: 500, c64OneConn: 20_000, c64Conns: 20_000, stream100K: 1, connectCall: 200, pluginUnary: 2000,
		},
		idleWires: 10_000, openCalls: 100_000,
	}
}

// scenarios returns the scenarios of c, in report order.
func (c config) scenarios() []scenario {
	if c.names != nil {
		return c.sweepScenarios()
	}
	all := []scenario{
		{name: unarySmall, what: `sequential round trips, ("John", "Doe") -> "John Doe"`, callers: 1, items: 1},
		{name: unary64K, what: "sequential round trips, 64 KiB echoed", callers: 1, items: 1},
		{name: c64OneConn, what: "64 callers sharing one connection, small calls", callers: c64, items: 1},
		{name: c64Conns, what: "64 callers with a connection each, small calls", callers: c64, items: 1},
		{name: stream100K, what: streamSmallWhat, callers: 1, items: c.streamLen},
		{name: connectCall, what: "dial + one small call + close", callers: 1, items: 1},
		{name: pluginUnary, what: "a host calling its plugin, a child process, over stdio; small calls", callers: 1, items: 1},
	}
	var out []scenario
	for _, s := range all {
		if c.only != nil && !c.only[s.name] {
			continue
		}
		s.batch = c.batches[s.name]
		if s.batch <= 0 {
			s.batch = 1
		}
		out = append(out, s)
	}
	return out
}
