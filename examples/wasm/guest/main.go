// Command guest is a WebAssembly module (GOOS=wasip1 GOARCH=wasm) that
// serves IPFI procedures to its host over nothing but its stdin and stdout,
// and calls the host back over the same wire:
//
//	GOOS=wasip1 GOARCH=wasm go build -o guest.wasm ./guest
//
// It serves until the host sends End of input (it then finishes the calls
// it has, closes the wire and exits 0: a batch) or ends the wire (a
// Termination message, or the end of stdin). Its stdout is the wire: it
// prints nothing there; -v logs to stderr.
//
// The host must give it an OS pipe as stdin (see ../README.md): Go on
// wasip1 has one thread, and a read that blocks in the host would park
// every goroutine of the module.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/wasm/internal/contract"
	"github.com/ipfi-go/ipfi/procedures"
)

func main() {
	flag.BoolVar(&verbose, "v", false, "log to stderr")
	flag.StringVar(&name, "name", "guest", "the name the host knows the module by, for its log lines")
	hostStart := flag.Int64("start", 0, "the host's wall clock (Unix ns) as it began instantiating the module")
	flag.Parse()
	if err := run(time.Unix(0, *hostStart)); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

func run(hostStart time.Time) error {
	enteredMain := time.Now()
	iface, err := ipfi.New()
	if err != nil {
		return err
	}
	newDone := time.Now()
	defer iface.Close()

	if err := register(iface); err != nil {
		return err
	}
	w, err := iface.ConnectStdio()
	if err != nil {
		return err
	}
	// What starting took, by the wall clock the host shares with the
	// module (procedure 6).
	s := []int64{
		int64(enteredMain.Sub(hostStart)),
		int64(newDone.Sub(enteredMain)),
		int64(time.Since(newDone)),
	}
	startup.Store(&s)
	logf("instantiation to main %s, ipfi.New %s, then to the wire up %s",
		time.Duration(s[0]), time.Duration(s[1]), time.Duration(s[2]))

	select {
	case <-w.EndOfInput():
		// A batch: the host has sent everything. Answer the calls already
		// read, wait for this side's own, then close the wire (the host
		// reads a Termination message) and exit.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.Shutdown(ctx); err != nil && !errors.Is(err, ipfi.ErrClosed) {
			return fmt.Errorf("shutdown after End of input: %w", err)
		}
		logf("End of input: calls answered, wire closed %s after main began", time.Since(enteredMain))
	case <-w.Done():
		// The host closed the wire or went away: nothing to answer.
		logf("wire ended: %v", w.Err())
	}
	return iface.Close()
}

// startup is procedure 6's answer, set as soon as the wire is up.
var startup atomic.Pointer[[]int64]

// register registers the guest's procedures on iface.
func register(iface *ipfi.Interface) error {
	return errors.Join(
		iface.Register(contract.ProcHello, procedures.Func0(func(context.Context) (string, error) {
			return "Hello from a wasm guest", nil
		})),
		// Quick: it neither blocks nor calls back, so it runs on the
		// wire's reader, without a hand-off to another goroutine (each
		// costs several microseconds in a module).
		iface.Register(contract.ProcAdd, procedures.Quick(procedures.Func2(func(_ context.Context, a, b int) (int, error) {
			return a + b, nil
		}))),
		iface.Register(contract.ProcSequence, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
			for k := range n {
				if err := yield(k); err != nil {
					return err
				}
			}
			return nil
		})),
		iface.Register(contract.ProcCallback, procedures.Func1(func(ctx context.Context, x int) (int, error) {
			doubled, err := ipfi.Call[int](ctx, ipfi.WireFrom(ctx), contract.HostDouble, x)
			if err != nil {
				return 0, err
			}
			return x + doubled, nil
		})),
		iface.Register(contract.ProcCallHost, procedures.Func1(func(ctx context.Context, n int) (int, error) {
			host := ipfi.WireFrom(ctx)
			sum := 0
			for k := range n {
				doubled, err := ipfi.Call[int](ctx, host, contract.HostDouble, k)
				if err != nil {
					return 0, fmt.Errorf("call %d of %d: %w", k, n, err)
				}
				sum += doubled
			}
			return sum, nil
		})),
		iface.Register(contract.ProcStats, procedures.Func0(func(context.Context) ([]uint64, error) {
			return stats(), nil
		})),
		iface.Register(contract.ProcStartup, procedures.Func0(func(context.Context) ([]int64, error) {
			if s := startup.Load(); s != nil {
				return *s, nil
			}
			return nil, errors.New("still starting")
		})),
		iface.Register(contract.ProcHandoff, procedures.Func1(func(_ context.Context, n int) (int64, error) {
			return contract.Handoff(n), nil
		})),
	)
}

// statNames are the runtime's counters procedure 5 returns, in order: the
// host measures what a call costs inside the module with them.
var statNames = []string{
	"/sched/goroutines-created:goroutines",
	"/gc/heap/allocs:objects",
	"/gc/heap/allocs:bytes",
	"/gc/cycles/total:gc-cycles",
}

func stats() []uint64 {
	samples := make([]metrics.Sample, len(statNames))
	for i, n := range statNames {
		samples[i].Name = n
	}
	metrics.Read(samples)
	out := make([]uint64, len(samples))
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			out[i] = s.Value.Uint64()
		}
	}
	return out
}

// name and verbose are the module's name in its log lines, and whether it
// writes them.
var (
	name    string
	verbose bool
)

func logf(format string, a ...any) {
	if verbose {
		fmt.Fprintf(os.Stderr, name+": "+format+"\n", a...)
	}
}
