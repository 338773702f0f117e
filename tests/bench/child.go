package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"time"
)

// Each round runs every system in a process of its own (a child: this
// binary again, with childEnv set), so that no system's heap, goroutines or
// collections weigh on another's figures. The parent sends the child a
// childJob on its standard input and reads childResults from its standard
// output.

// childEnv, set to "1", makes this binary run as a child (childMain).
const childEnv = "IPFI_BENCH_CHILD"

// childJob is what one child measures: one system, one batch of each
// scenario after a warm-up batch.
type childJob struct {
	System    string
	StreamLen int
	Small     [2][]byte         // ipfi's small call: request, response (the raw baselines replay them)
	Echoes    map[int][2][]byte // ipfi's echoes, by size
	Scenarios []scenario
	// CPUProfile, if set, is where the child writes its CPU profile.
	CPUProfile string
	// NoDeadline runs the operations under a context without a deadline
	// (-nodeadline); the parent still kills a child that outlives its bound.
	NoDeadline bool
}

// cpuProfiles is the directory of the children's CPU profiles (-cpuprofile),
// "" for none.
var cpuProfiles string

// noDeadline is -nodeadline: the children's operations run under a context
// without a deadline, so that ipfi's calls carry none.
var noDeadline bool

// childResult is one scenario's measured batch in a child.
type childResult struct {
	Scenario string
	NsPerOp  float64
	CPUNs    int64
	Mallocs  uint64
	Spawned  uint64
	Items    int
}

// MarshalJSON and UnmarshalJSON carry a scenario's fields, which are
// unexported.
func (s scenario) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{s.name, s.what, s.callers, s.items, s.batch})
}

func (s *scenario) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &[]any{&s.name, &s.what, &s.callers, &s.items, &s.batch})
}

// childMain runs a child: it reads the job from in, measures it and writes
// the results to out. It returns the process's exit code.
func childMain(in io.Reader, out io.Writer) int {
	var job childJob
	if err := json.NewDecoder(in).Decode(&job); err != nil {
		fmt.Fprintln(os.Stderr, "bench child: reading the job:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	res, err := runChild(ctx, job)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench child %s: %v\n", job.System, err)
		return 1
	}
	if err := json.NewEncoder(out).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "bench child: writing the results:", err)
		return 1
	}
	return 0
}

// childTimeout bounds one child.
const childTimeout = 3 * time.Minute

// runChild starts the job's system, measures each scenario it takes part
// in, and stops the system. A scenario's plugin (plugin_unary) is started
// before its batches and stopped after them.
func runChild(ctx context.Context, job childJob) (res []childResult, err error) {
	d, err := lookupSystem(job.System)
	if err != nil {
		return nil, err
	}
	e := &env{
		streamLen: job.StreamLen,
		small:     sample{request: job.Small[0], response: job.Small[1]},
		echoes:    make(map[int]sample, len(job.Echoes)),
	}
	for n, x := range job.Echoes {
		e.echoes[n] = sample{request: x[0], response: x[1]}
	}
	if job.CPUProfile != "" {
		f, err := os.Create(job.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	sys, err := d.start(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("starting: %w", err)
	}
	defer func() {
		if cerr := sys.close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("closing: %w", cerr))
		}
	}()
	for _, sc := range job.Scenarios {
		op, stop, err := scenarioOp(ctx, sys, job.System, sc.name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.name, err)
		}
		if op == nil {
			continue
		}
		opCtx := ctx
		if job.NoDeadline {
			opCtx = context.WithoutCancel(ctx)
		}
		r, err := measure(opCtx, sc, op)
		if serr := stop(); serr != nil {
			err = errors.Join(err, fmt.Errorf("%s: stopping: %w", sc.name, serr))
		}
		if err != nil {
			return nil, err
		}
		res = append(res, r)
	}
	return res, nil
}

// scenarioOp returns the operation of the named scenario and what stops
// what it started (nil op: the system takes no part). plugin_unary's
// operations are a plugin's (pluginOp), started here and stopped by stop;
// the other scenarios' are the system's.
func scenarioOp(ctx context.Context, sys system, systemName, scenario string) (op func(context.Context) error, stop func() error, err error) {
	if scenario == pluginUnary {
		return pluginOp(ctx, systemName)
	}
	return sys.op(scenario), func() error { return nil }, nil
}

// measure runs a warm-up batch of sc, collects the heap and then runs its
// measured batch. The collection is testing.B's before each run: without
// it, a child whose heap has not yet been through a cycle serves every
// allocation of the measured batch from memory never touched, and pays a
// page fault per page (a third of one per small ipfi call), which a
// process that has run for a while does not.
func measure(ctx context.Context, sc scenario, op func(context.Context) error) (childResult, error) {
	var (
		r   result
		err error
	)
	pprof.Do(ctx, pprof.Labels("scenario", sc.name), func(ctx context.Context) {
		if err = runBatch(ctx, sc, op, sc.batch); err != nil {
			err = fmt.Errorf("%s warm-up: %w", sc.name, err)
			return
		}
		runtime.GC()
		if err = timeBatch(ctx, sc, op, &r); err != nil {
			err = fmt.Errorf("%s: %w", sc.name, err)
		}
	})
	if err != nil {
		return childResult{}, err
	}
	return childResult{Scenario: sc.name, NsPerOp: r.samples[0], CPUNs: r.cpu.Nanoseconds(), Mallocs: r.mallocs, Spawned: r.spawned, Items: r.items}, nil
}

// runInChild runs job in a child process and returns its results.
func runInChild(ctx context.Context, job childJob) ([]childResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, childTimeout+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", job.System, err, stderr.String())
	}
	var res []childResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("%s: reading its results: %w", job.System, err)
	}
	return res, nil
}
