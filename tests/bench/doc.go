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
// scenario. System drpc (storj.io/drpc) takes part in every unary scenario
// and in dial + call + close.
//
// Scenario plugin_unary is a host calling its plugin, a child process
// (this binary again), over the child's stdio with the small call: ipfi
// and ipfi_goroutine with ConnectCmd and ConnectStdio, net/rpc over the
// same two pipes, and hashicorp/go-plugin (system goplugin) with its
// default gRPC over a Unix socket; its CPU time is the host's only
// (plugin.go).
//
// The sweep (-sweep, sweep.go) has scenarios of its own, each named by
// its shape and a key of its own in the JSON: a unary echo by one caller
// from 64 B to 4 MiB (echo_64 ... echo_4m); server streams of small
// values (stream_100k), of 1 KiB values (stream_10k_of_1k) and of 16 KiB
// values (stream_1k_of_16k); the shapes of Kitex's published sweeps, a
// payload sweep at 100 callers (echo_1k_c100_one ... echo_64k_c100_each)
// and a caller sweep with a 1 KiB echo (echo_1k_c10_one ...
// echo_1k_c1000_each), each over one connection (_one) and over a
// connection per caller (_each); and small calls by hundreds and
// thousands of callers with a connection each (small_c256_each,
// small_c1000_each). Every system answers every shape it can: a unary
// scenario's shape is read from its name (shape.go), a stream's likewise
// (streamshape.go).
//
// Usage, from tests/bench:
//
//	go run . -quick -json /tmp/bench.json   # under two minutes
//	go run .                                # the full run, a few minutes
//	go run . -sweep                         # the sweep, at most six minutes
//
// Measurement (run.go, child.go): a run is made of rounds. In each round
// every system runs once, in a child process (this binary again), which
// starts the system, runs a warm-up batch, collects its heap (as testing.B
// does before it times) and runs one measured batch of each scenario the
// system takes part in, and reports them; the systems take turns in an order
// that rotates from round to round, so that the machine's drift hits all of
// them alike. A batch's time divided by its operations is one sample. The
// table gives each system's median and min..max spread over rounds, the CPU
// time (user + system, the child's whole process: client and server) and the
// heap allocations per operation; and, for each other system, ipfi's time
// over its time paired by round: the median over rounds of the ratio of the
// two samples of the same round, with its 95% interval by the bootstrap
// (internal/stats). The JSON keeps the same ratios under "ratios" and their
// intervals under "intervals". Each mode makes a number of rounds within a
// time budget, after which no round starts past the third; -rounds sets the
// number. Large echoes move most from child to child (they are made of fresh
// memory, whose first touch costs about 11 us a page on this virtual
// machine, and more or less of it is fresh from one child to the next), so
// their intervals need more rounds than the sweep makes to be narrow.
//
// The module is separate from the library's so that gRPC never enters the
// library's import graph. It is Linux-only (getrusage, setrlimit,
// /proc/self/fd).
package main
