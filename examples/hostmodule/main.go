// Command hostmodule is a host that runs a module program as a supervised
// child process and talks to it over the child's stdio: each calls the
// other's procedures, the module streams results back, and with -crash the
// module dies midway; the host sees the pending call fail with the child's
// exit status, the module restarted under its policy, and calls going on.
// At the end the host closes the wire: the module reads the Termination
// message and exits cleanly.
//
// The module is this same program, run again with IPFI_MODULE=1 in its
// environment, so one command runs both:
//
//	go run ./examples/hostmodule          # -crash to crash the module once, -quiet for less
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/supervision"
)

// moduleEnv, set, makes this program the module.
const moduleEnv = "IPFI_MODULE"

// The module's procedures, which the module registers and the host calls
// through these descriptors.
var (
	modSquares = ipfi.SeqProc1[int, int]{Index: 1}    // n -> streams 1, 4, 9, ... n², calling the host's log for each
	modCrash   = ipfi.Proc0[int]{Index: 2}            // exits the process with status 3
	modHello   = ipfi.Proc1[string, string]{Index: 3} // name -> greeting
)

// The host's procedure, which the module calls back.
var hostLog = ipfi.Proc1[string, any]{Index: 1} // line -> nothing; the host prints it

func main() {
	if os.Getenv(moduleEnv) != "" {
		os.Exit(module())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hostmodule:", err)
		os.Exit(1)
	}
}

// module serves the module's procedures on its stdio until the host closes
// the wire or goes away.
func module() int {
	m, err := ipfi.New()
	if err != nil {
		return 1
	}
	_ = modSquares.Register(m, func(ctx context.Context, n int, yield func(int) error) error {
		host := ipfi.WireFrom(ctx)
		for k := 1; k <= n; k++ {
			// A call back to the host over the same wire, for each value.
			if _, err := hostLog.Call(ctx, host, fmt.Sprintf("module: computing %d²", k)); err != nil {
				return err
			}
			if err := yield(k * k); err != nil {
				return err
			}
		}
		return nil
	})
	_ = modCrash.Register(m, func(context.Context) (int, error) {
		fmt.Fprintln(os.Stderr, "module: crashing on purpose")
		os.Exit(3)
		return 0, nil
	})
	_ = modHello.Register(m, func(_ context.Context, name string) (string, error) {
		fmt.Println("module: a stray print, which goes to stderr, not into the wire")
		return "Hello, " + name + ", from module pid " + fmt.Sprint(os.Getpid()), nil
	})
	w, err := m.ConnectStdio()
	if err != nil {
		fmt.Fprintln(os.Stderr, "module:", err)
		return 1
	}
	<-w.Done() // the host closed the wire, or went away
	_ = m.Close()
	fmt.Fprintln(os.Stderr, "module: wire ended:", w.Err(), "- exiting")
	return 0
}

// run is the host: it starts the module under supervision and drives it.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hostmodule", flag.ContinueOnError)
	crash := fs.Bool("crash", false, "make the module crash midway, once")
	quiet := fs.Bool("quiet", false, "hide the module's log lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "host: "+format+"\n", a...) }

	host, err := ipfi.New()
	if err != nil {
		return err
	}
	defer host.Close()
	if err := hostLog.Register(host, func(_ context.Context, line string) (any, error) {
		if !*quiet {
			fmt.Fprintln(stdout, "  "+line)
		}
		return nil, nil
	}); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dial := func(context.Context) (*ipfi.Wire, error) {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), moduleEnv+"=1", "GORACE=atexit_sleep_ms=0")
		cmd.Stderr = prefixed{stdout, "  [module stderr] ", *quiet}
		return host.ConnectCmd(cmd)
	}
	events := func(e supervision.Event) {
		if e.Err != nil {
			say("module wire %s (restarts %d): %v", e.Kind, e.Restarts, e.Err)
			return
		}
		say("module wire %s (restarts %d)", e.Kind, e.Restarts)
	}
	sup, err := host.Supervise(ctx, dial, supervision.Restart{Initial: 50 * time.Millisecond, MaxRestarts: 3}, events)
	if err != nil {
		return err
	}
	defer sup.Close()

	w, err := sup.Wire(ctx)
	if err != nil {
		return err
	}
	hello, err := modHello.Call(ctx, w, "host")
	if err != nil {
		return err
	}
	say("%s", hello)
	squares, err := modSquares.Collect(ctx, w, 4)
	if err != nil {
		return err
	}
	say("squares streamed back: %v", squares)

	if *crash {
		if err := crashMidStream(ctx, w, say); err != nil {
			return err
		}
		if w, err = sup.Wire(ctx); err != nil {
			return err
		}
		hello, err := modHello.Call(ctx, w, "host, again")
		if err != nil {
			return err
		}
		say("after the restart: %s", hello)
		squares, err := modSquares.Collect(ctx, w, 3)
		if err != nil {
			return err
		}
		say("squares streamed back: %v", squares)
	}

	say("closing the wire: the module reads the Termination message and exits")
	if err := sup.Close(); err != nil {
		return err
	}
	say("done")
	return nil
}

// crashMidStream opens a long stream of squares over w, asks the module to
// crash once the first value has come, and checks that the stream then
// fails with the child's exit status.
func crashMidStream(ctx context.Context, w *ipfi.Wire, say func(format string, a ...any)) error {
	say("asking the module to crash while a stream is open")
	var ended error
	asked := false
	for _, err := range modSquares.Iter(ctx, w, 1000) {
		if err != nil {
			ended = err
			break
		}
		if !asked {
			asked = true
			if _, err := modCrash.Call(ctx, w); err == nil {
				return errors.New("the crash call succeeded")
			}
		}
	}
	if !errors.Is(ended, ipfi.ErrProcessExited) {
		return fmt.Errorf("the stream pending as the module crashed ended with %v, want ErrProcessExited", ended)
	}
	say("the pending stream failed: %v", ended)
	return nil
}

// prefixed writes the module's stderr to the host's output, line by line
// with a prefix (or drops it).
type prefixed struct {
	w      io.Writer
	prefix string
	quiet  bool
}

func (p prefixed) Write(b []byte) (int, error) {
	if !p.quiet {
		for _, line := range strings.SplitAfter(string(b), "\n") {
			if line != "" {
				fmt.Fprint(p.w, p.prefix+line)
			}
		}
	}
	return len(b), nil
}
