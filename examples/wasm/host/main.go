// Command host runs WebAssembly modules with wazero and talks IPFI with
// them over nothing but each module's stdin and stdout: it calls their
// procedures and is called back over the same wire.
//
//	cd examples/wasm && go run ./host    # builds ../guest, ../handguest and ../liteguest for wasip1, then runs them
//
// It compiles each guest once (wazero's compiler, with a compilation cache
// on disk), then runs one module instance per session, and prints a line
// for each of: a call host→guest, a stream, a callback (guest→host inside a
// host→guest call), a batch (calls sent without waiting, then End of input:
// the module answers them all and exits 0 on its own), a session with the
// hand-written guest and one with the lightweight guest (package guest).
// -n N runs N instances side by side; -bench measures. It exits 0 when
// everything behaved, 1 with a message otherwise.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

// options are the host's settings; see the flags in main.
type options struct {
	guest, handguest string // the guests' .wasm files; all built when one is missing
	liteguest        string
	buildDir         string // where to build them; default cacheDir/wasm
	cacheDir         string // wazero's compilation cache goes in cacheDir/wazero
	n                int    // instances to run side by side (0: none)
	bench            bool   // measure and print figures
	benchTime        time.Duration
	interruptible    bool // compile the guests so that ending an instance's context stops it anywhere
	verbose          bool // the guests log their timings to stderr
	out              io.Writer
	stderr           io.Writer // the modules' stderr
}

// guestDir is where the guests are built.
func (o options) guestDir() string {
	if o.buildDir != "" {
		return o.buildDir
	}
	return filepath.Join(o.cacheDir, "wasm")
}

func main() {
	o := options{out: os.Stdout, stderr: &prefixWriter{w: os.Stderr, prefix: "  [module stderr] "}}
	flag.StringVar(&o.guest, "guest", "", "the library guest's .wasm (default: build ./guest)")
	flag.StringVar(&o.handguest, "handguest", "", "the hand-written guest's .wasm (default: build ./handguest)")
	flag.StringVar(&o.liteguest, "liteguest", "", "the lightweight guest's .wasm (default: build ./liteguest)")
	flag.StringVar(&o.cacheDir, "cache", defaultCacheDir(), "directory for the built guests and wazero's compilation cache")
	flag.IntVar(&o.n, "n", 0, "run N instances side by side, each a short session, and report the total time (with -bench: default 50)")
	flag.BoolVar(&o.bench, "bench", false, "measure: start to first answer, calls/s both ways, the hand-written guest, a native pipe, memory per instance")
	flag.DurationVar(&o.benchTime, "benchtime", time.Second, "how long each calls/s figure runs")
	flag.BoolVar(&o.interruptible, "interruptible", false, "compile the guests so that an instance is stopped even inside its own code when its context ends (wazero's WithCloseOnContextDone: guests 1.7 to 4 times slower)")
	flag.BoolVar(&o.verbose, "v", false, "the guests log their start-up timings to stderr")
	cpuProfile := flag.String("cpuprofile", "", "write the host process's CPU profile to this file (the guests' own code shows as runtime._ExternalCode)")
	timeout := flag.Duration("timeout", 3*time.Minute, "give up after this long (building the guests the first time takes a while)")
	flag.Parse()
	if o.bench && o.n == 0 {
		o.n = 50
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, o); err != nil {
		pprof.StopCPUProfile()
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "host FAILED:", err)
	os.Exit(1)
}

// defaultCacheDir is the user's cache directory for this example, or a
// directory under the temporary one.
func defaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "ipfi-examples-wasm")
}

// run is the host: the demonstration, then -n's instances, then -bench's
// figures.
func run(ctx context.Context, o options) (err error) {
	start := time.Now()
	e, err := newEngine(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := e.close(context.WithoutCancel(ctx)); err == nil && cerr != nil {
			err = fmt.Errorf("closing: %w", cerr)
		}
	}()
	fmt.Fprintf(o.out, "guests ready in %s (compiling them: %s)\n",
		time.Since(start).Round(time.Millisecond), e.compileTook.Round(time.Millisecond))

	if err := demo(ctx, e, o.out); err != nil {
		return err
	}
	if o.n > 0 {
		took, err := instances(ctx, e, e.guest, o.n)
		if err != nil {
			return err
		}
		fmt.Fprintf(o.out, "%d instances side by side: started, answered, batch with End of input, exited 0: %s in total\n",
			o.n, took.Round(time.Millisecond))
	}
	if o.bench {
		return bench(ctx, e, o)
	}
	return nil
}
