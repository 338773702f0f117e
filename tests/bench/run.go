package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"
)

// run measures every scenario of cfg and the memory figures, printing the
// tables to out as it goes, and returns the report.
func run(ctx context.Context, cfg config, out io.Writer) (*report, error) {
	printMachine(out)
	e := &env{streamLen: cfg.streamLen}
	var sizes []int
	for _, sc := range cfg.scenarios() {
		if n, ok := echoSize(sc.name); ok && !slices.Contains(sizes, n) {
			sizes = append(sizes, n)
		}
	}
	var err error
	if e.small, e.echoes, err = sampleIPFI(ctx, sizes); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "raw and rawmux replay ipfi's bytes: small call %d B out, %d B back", len(e.small.request), len(e.small.response))
	for _, n := range sizes {
		fmt.Fprintf(out, "; %s echo %d B out, %d B back", sizeText(n), len(e.echoes[n].request), len(e.echoes[n].response))
	}
	fmt.Fprintln(out, " (plus their own framing)")
	if noDeadline {
		fmt.Fprintln(out, "operations run without a deadline (-nodeadline): ipfi's calls carry none")
	}

	rep := newReport()
	if err := runScenarios(ctx, cfg, e, rep, out); err != nil {
		return nil, err
	}
	if cfg.idleWires > 0 {
		m := &rep.Memory
		if m.idleWires, err = fitPairs(cfg.idleWires); err != nil {
			return nil, err
		}
		m.idleWanted = cfg.idleWires
		if m.IdleWireBytes, m.idleStack, err = idleWireBytes(ctx, m.idleWires); err != nil {
			return nil, fmt.Errorf("idle wires: %w", err)
		}
		m.IdleWireBytes = round(m.IdleWireBytes, 0)
	}
	if cfg.openCalls > 0 {
		if err := openCallBytes(ctx, cfg.openCalls, &rep.Memory); err != nil {
			return nil, fmt.Errorf("open calls: %w", err)
		}
		rep.Memory.OpenCallBytes = round(rep.Memory.OpenCallBytes, 0)
	}
	if cfg.idleWires > 0 || cfg.openCalls > 0 {
		printMemory(out, rep.Memory)
	}
	return rep, nil
}

// onlySystems, if not nil, names the systems to run (-systems).
var onlySystems map[string]bool

// minRounds is how many rounds a run makes, whatever its budget.
const minRounds = 3

// runRound runs round r of rounds: every system once, in a child process,
// starting with the r-th (the order rotates by round), adding what each
// measured to res.
func runRound(ctx context.Context, r, rounds int, names []string, job childJob, res map[string]map[string]*result) error {
	for i := range names {
		job.System = names[(i+r)%len(names)]
		if cpuProfiles != "" {
			job.CPUProfile = filepath.Join(cpuProfiles, fmt.Sprintf("%s-r%d.pprof", job.System, r))
		}
		got, err := runInChild(ctx, job)
		if err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
		for _, g := range got {
			if res[g.Scenario] == nil {
				res[g.Scenario] = map[string]*result{}
			}
			x := res[g.Scenario][job.System]
			if x == nil {
				x = &result{perRound: make([]float64, rounds)}
				res[g.Scenario][job.System] = x
			}
			x.add(r, g)
		}
	}
	return nil
}

// runScenarios measures every scenario of cfg, round by round: in each
// round every system runs once, in a child process of its own (a warm-up
// batch and a measured batch of each scenario it takes part in), in an
// order that rotates from round to round, so that the machine's drift hits
// every system alike. It stops starting rounds once cfg.budget has passed
// (after minRounds).
func runScenarios(ctx context.Context, cfg config, e *env, rep *report, out io.Writer) error {
	var names []string
	for _, d := range systemDefs {
		if (onlySystems == nil && !d.optIn) || onlySystems[d.name] {
			names = append(names, d.name)
		}
	}
	scs := cfg.scenarios()
	job := childJob{
		StreamLen:  e.streamLen,
		Small:      [2][]byte{e.small.request, e.small.response},
		Echoes:     map[int][2][]byte{},
		Scenarios:  scs,
		NoDeadline: noDeadline,
	}
	for n, x := range e.echoes {
		job.Echoes[n] = [2][]byte{x.request, x.response}
	}
	res := map[string]map[string]*result{} // scenario -> system
	start := time.Now()
	for r := range cfg.rounds {
		if r >= minRounds && (time.Since(start) > cfg.budget || ctx.Err() != nil) {
			break
		}
		if err := runRound(ctx, r, cfg.rounds, names, job, res); err != nil {
			return err
		}
	}
	for _, sc := range scs {
		var present []string
		for _, n := range names {
			if res[sc.name][n] != nil {
				present = append(present, n)
			}
		}
		rep.add(sc, present, res[sc.name])
		printScenario(out, sc, present, res[sc.name])
	}
	return nil
}
