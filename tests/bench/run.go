package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/pprof"
)

// run measures every scenario of cfg and the memory figures, printing the
// tables to out as it goes, and returns the report.
func run(ctx context.Context, cfg config, out io.Writer) (*report, error) {
	printMachine(out)
	e := &env{streamLen: cfg.streamLen}
	var err error
	if e.small, e.echo, err = sampleIPFI(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "raw and rawmux replay ipfi's bytes: small call %d B out, %d B back; echo %d B out, %d B back (plus their own framing)\n",
		len(e.small.request), len(e.small.response), len(e.echo.request), len(e.echo.response))

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

// runScenarios starts every system, measures the scenarios side by side and
// stops the systems again.
// onlySystems, if not nil, names the systems to run (-systems).
var onlySystems map[string]bool

func runScenarios(ctx context.Context, cfg config, e *env, rep *report, out io.Writer) (err error) {
	type started struct {
		name string
		sys  system
	}
	var syss []started
	defer func() {
		for _, s := range syss {
			if cerr := s.sys.close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("closing %s: %w", s.name, cerr))
			}
		}
	}()
	for _, d := range systemDefs {
		if onlySystems != nil && !onlySystems[d.name] {
			continue
		}
		s, err := d.start(ctx, e)
		if err != nil {
			return fmt.Errorf("starting %s: %w", d.name, err)
		}
		syss = append(syss, started{d.name, s})
	}
	for _, sc := range cfg.scenarios() {
		var cs []contender
		var names []string
		for _, s := range syss {
			if op := s.sys.op(sc.name); op != nil {
				cs = append(cs, contender{s.name, op})
				names = append(names, s.name)
			}
		}
		var res map[string]*result
		pprof.Do(ctx, pprof.Labels("scenario", sc.name), func(ctx context.Context) {
			res, err = measure(ctx, sc, cs, cfg.rounds, cfg.budget)
		})
		if err != nil {
			return err
		}
		rep.add(sc, names, res)
		printScenario(out, sc, names, res)
	}
	return nil
}
