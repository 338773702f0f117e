// Package contract is what the host and its guests agree on: the indices
// of the guests' procedures and of the host's, and the goroutine hand-off
// timing both measure. It imports only the standard library, so that the
// lightweight guest stays small.
package contract

import "time"

// The guests' procedures: the library guest serves them all, the
// lightweight guest 0 to 4, the hand-written guest 1.
const (
	ProcHello    = 0 // () -> greeting
	ProcAdd      = 1 // (a, b int) -> a + b
	ProcSequence = 2 // (n int) -> streams 0, 1, ..., n-1
	ProcCallback = 3 // (x int) -> x + host.double(x), calling the host back
	ProcCallHost = 4 // (n int) -> calls host.double n times in turn; returns the sum
	ProcStats    = 5 // () -> [goroutines created, heap objects allocated, heap bytes allocated, GC cycles]
	ProcStartup  = 6 // () -> what starting took, in ns: instantiation to main, ipfi.New, the rest to the wire up
	ProcHandoff  = 7 // (n int) -> ns per round trip between two goroutines over channels, timed over n
)

// HostDouble is the host's procedure the guests call back: (x int) -> 2x.
const HostDouble = 10

// Handoff returns the nanoseconds a value takes to go from one goroutine
// to another and back over unbuffered channels (two goroutine switches),
// timed over n round trips: the unit of work a wire's goroutines hand each
// other. The guest's procedure 7 runs it inside the module, the host
// natively.
func Handoff(n int) int64 {
	n = max(n, 1)
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
		close(pong)
	}()
	start := time.Now()
	for i := range n {
		ping <- i
		<-pong
	}
	took := time.Since(start)
	close(ping)
	<-pong
	return took.Nanoseconds() / int64(n)
}
