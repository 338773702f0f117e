package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

func main() {
	if system := os.Getenv(pluginEnv); system != "" { // a plugin of plugin_unary's host
		os.Exit(pluginMain(system))
	}
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain(os.Stdin, os.Stdout))
	}
	quick := flag.Bool("quick", false, "a short run (under two minutes): fewer and smaller rounds")
	sweep := flag.Bool("sweep", false, "the sweep instead (at most six minutes), every system: unary echoes from 64 B to 4 MiB; streams of small, 1 KiB and 16 KiB values; echoes of 1-64 KiB by 100 callers and of 1 KiB by 10-1000 callers, over one connection and a connection each; small calls by 256 and 1000 callers with a connection each")
	jsonPath := flag.String("json", "", "also write the figures as JSON to this `file`")
	only := flag.String("scenarios", "", "comma-separated scenarios to run (default all)")
	noMem := flag.Bool("nomem", false, "skip the memory measurements")
	systems := flag.String("systems", "", "comma-separated systems to run (default all; ratios need their reference system)")
	flag.StringVar(&cpuProfiles, "cpuprofile", "", "write a CPU profile of each child to `dir`/SYSTEM-rROUND.pprof, each scenario's samples labelled scenario=NAME")
	rounds := flag.Int("rounds", 0, "make at most `n` rounds instead of the mode's number (the mode's time budget still stops new rounds after the third); more rounds narrow the intervals of scenarios that move from child to child, such as the sweep's large echoes")
	flag.BoolVar(&noDeadline, "nodeadline", false, "run the operations under a context without a deadline (by default it has one, the child's bound, so every ipfi call carries a deadline, as production calls usually do)")
	flag.Parse()

	cfg, limit := fullConfig(), 10*time.Minute
	switch {
	case *sweep:
		cfg, limit = sweepConfig(), 6*time.Minute
	case *quick:
		cfg, limit = quickConfig(), 3*time.Minute
	}
	if *only != "" {
		known := map[string]bool{}
		for _, sc := range cfg.scenarios() {
			known[sc.name] = true
		}
		cfg.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			if s = strings.TrimSpace(s); s != "" && !known[s] {
				fmt.Fprintf(os.Stderr, "bench: no scenario %q\n", s)
				os.Exit(2)
			}
			cfg.only[strings.TrimSpace(s)] = true
		}
	}
	if *systems != "" {
		onlySystems = map[string]bool{}
		for _, s := range strings.Split(*systems, ",") {
			if _, err := lookupSystem(strings.TrimSpace(s)); err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
				os.Exit(2)
			}
			onlySystems[strings.TrimSpace(s)] = true
		}
	}
	if *rounds > 0 {
		cfg.rounds = *rounds
	}
	if *noMem {
		cfg.idleWires, cfg.openCalls = 0, 0
	}
	// Every loop is bounded by a count; this bounds a hang.
	watchdog := time.AfterFunc(limit, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		fmt.Fprintf(os.Stderr, "bench: still running after %v, giving up\n%s", limit, buf)
		os.Exit(2)
	})
	defer watchdog.Stop()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	rep, err := run(ctx, cfg, os.Stdout)
	if err == nil && *jsonPath != "" {
		err = writeJSON(*jsonPath, rep)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Printf("\nwall time %.1fs\n", time.Since(start).Seconds())
}
