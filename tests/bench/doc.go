// Command bench measures ipfi against gRPC-go, net/rpc and hand-written raw
// TCP baselines, side by side in one run, and prints one table per scenario
// (optionally writing the figures as JSON with -json FILE).
//
// Each system runs its server and its client in one process over loopback
// TCP (127.0.0.1), and no two systems share a process: one system's heap,
// goroutines and collections never weigh on another's figures. The
// scenarios are those of the design brief's "Figures it must reach": a
// small unary round trip, a 64 KiB echo, 64 callers sharing one
// connection, 64 callers with a connection each, a server stream of
// 100,000 small values, dial + call + close, and (ipfi only, in the parent
// process) the memory an idle wire and an open call cost. System ipfi
// serves its unary procedures as Quick ones, ipfi_goroutine the same
// server with ordinary procedures (each call on a goroutine), in every
// scenario.
//
// Usage, from tests/bench:
//
//	go run . -quick -json /tmp/bench.json   # under two minutes
//	go run .                                # the full run, a few minutes
//	go run . -sweep                         # the size sweep (sweep.go), about a minute
//
// Measurement (run.go, child.go): a run is made of rounds. In each round
// every system runs once, in a child process (this binary again), which
// starts the system, runs a warm-up batch and then one measured batch of
// each scenario the system takes part in, and reports them; the systems
// take turns in an order that rotates from round to round, so that the
// machine's drift hits all of them alike. A batch's time divided by its
// operations is one sample. The table gives each system's median and
// min..max spread over rounds, the CPU time (user + system, the child's
// whole process: client and server) and the heap allocations per
// operation; and, for each other system, ipfi's time over its time paired
// by round: the median over rounds of the ratio of the two samples of the
// same round, with its 95% interval by the bootstrap (internal/stats). The
// JSON keeps the same ratios under "ratios" and their intervals under
// "intervals".
//
// The module is separate from the library's so that gRPC never enters the
// library's import graph. It is Linux-only (getrusage, setrlimit,
// /proc/self/fd).
package main
