package topo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"time"
)

// Calls makes the calls (or rounds of calls) numbered from to to-1 and
// returns once every one of them has ended; it records them itself. Its
// error is a failure to run them at all (such as the run's deadline), not a
// failed call.
type Calls func(ctx context.Context, from, to int) error

// Build links an example's peers, registers its procedures and returns the
// function that makes its calls. Run closes the net afterwards, whatever
// Build returns.
type Build func(ctx context.Context, nt *Net, rec *Recorder) (Calls, error)

// Run runs an example: it makes cfg.N peers, lets build link them, makes
// calls 0 to KillAt()-1, kills cfg.Kill if set (waiting until its
// neighbours have seen it die), makes the remaining calls, closes
// everything and counts the goroutines left. name and setup head the
// summary.
func Run(ctx context.Context, cfg *Config, name, setup string, build Build) (Summary, error) {
	before := runtime.NumGoroutine()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	rec := NewRecorder()
	kill := KillReport{Peer: NoKill}
	nt, err := NewNet(cfg)
	if err != nil {
		return Summary{}, err
	}
	calls, err := build(ctx, nt, rec)
	if err == nil {
		at := cfg.KillAt()
		err = calls(ctx, 0, at)
		if err == nil && cfg.Kill != NoKill {
			kill, err = nt.Kill(ctx, cfg.Kill)
			if err == nil {
				err = calls(ctx, at, cfg.Calls)
			}
		}
	}
	wires := nt.Wires()
	err = errors.Join(err, nt.Close())
	cancel()

	s := rec.Summarize()
	s.Topology, s.Transport, s.Setup = name, cfg.Transport(), setup
	s.Peers, s.Wires = cfg.N, wires
	s.Kill, s.KillAt = kill, cfg.KillAt()
	s.GoroutinesBefore = before
	s.GoroutinesAfter = settledGoroutines(before)
	s.Elapsed = time.Since(start)
	return s, err
}

// settledGoroutines returns runtime.NumGoroutine once it is down to target,
// or after about two seconds. Interface.Close returns once the wires' and
// procedures' goroutines have ended, but the actor system underneath may
// leave one goroutine behind for up to a second: protoactor-go's dead-letter
// throttle, started when a message reaches an actor already stopped (as
// happens while interfaces close), which ends one throttle interval (1s)
// later. There is no signal to wait for that.
func settledGoroutines(target int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 200 && n > target; i++ {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// ForEach runs fn(ctx, i) for i from from to to-1, at most conc at once, and
// returns once every one it started has returned. It starts no more once ctx
// is done, and then returns ctx's cause.
func ForEach(ctx context.Context, from, to, conc int, fn func(ctx context.Context, i int)) error {
	conc = max(conc, 1)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := from; i < to; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(ctx, i)
		}()
	}
	return nil
}

// Timed runs call under cfg.CallTimeout and returns how long it took and
// its error.
func Timed(ctx context.Context, cfg *Config, call func(ctx context.Context) error) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.CallTimeout)
	defer cancel()
	start := time.Now()
	err := call(ctx)
	return time.Since(start), err
}

// WrongReply is the error of a call whose answer is not what it should be.
func WrongReply(got, want any) error {
	return fmt.Errorf("wrong reply: got %v, want %v", got, want)
}

// Main is an example program's main: it runs run with the program's
// arguments and stdout until it returns or an interrupt arrives, checks
// the summary, and exits with status 1 and the error on stderr if either
// failed. -h prints the flags and exits cleanly.
func Main(name string, run func(ctx context.Context, args []string, stdout io.Writer) (Summary, error)) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	s, err := run(ctx, os.Args[1:], os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		err = s.Check()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		stop()
		os.Exit(1)
	}
}
