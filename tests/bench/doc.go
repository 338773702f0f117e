// Command bench measures ipfi against gRPC-go, net/rpc and hand-written raw
// TCP baselines, side by side in one run, and prints one table per scenario
// (optionally writing the figures as JSON with -json FILE).
//
// Every system runs its server and its client in this process, over loopback
// TCP (127.0.0.1). The scenarios are those of the design brief's "Figures it
// must reach": a small unary round trip, a 64 KiB echo, 64 callers sharing one
// connection, a server stream of 100,000 small values, dial + call + close,
// and (ipfi only) the memory an idle wire and an open call cost.
//
// Usage, from tests/bench:
//
//	go run . -quick -json /tmp/bench.json   # about 15 s
//	go run .                                # the full run, about a minute
//
// Measurement (measure.go): each (scenario, system) pair runs a warm-up batch,
// then several rounds of a fixed batch; within a round the systems take turns,
// in a rotating order, so that drift hits all of them alike. A round's time
// divided by its operations is one sample; the table gives the median and the
// min..max spread of the samples, the CPU time (user + system, whole process:
// client and server) and the heap allocations per operation.
//
// The module is separate from the library's so that gRPC never enters the
// library's import graph. It is Linux-only (getrusage, setrlimit,
// /proc/self/fd).
package main
