package main

import (
	"fmt"
	"slices"
	"text/tabwriter"
	"time"
)

// print writes the figures as a table, each against its target.
func (f figures) print(o options, e *engine) error {
	t := tabwriter.NewWriter(o.out, 0, 0, 2, ' ', 0)
	row := func(what, fig, target string) { fmt.Fprintf(t, "%s\t%s\t%s\n", what, fig, target) }
	row("figure", "measured", "target")
	row(fmt.Sprintf("start to first answer, library guest (cache warm; min / median / max of %d)", startRuns),
		durations(f.first), verdict(median(f.first) <= targetFirstAnswer, "median ≤ "+targetFirstAnswer.String()))
	row("  of which, by the guest's clock: instantiation to main / ipfi.New / to the wire up (medians)",
		fmt.Sprintf("%s / %s / %s", round(f.startup[0]), round(f.startup[1]), round(f.startup[2])), "")
	row("start to first answer, hand-written guest", durations(f.handFirst), "")
	ratio := f.toGuest.perSecond / f.toHand.perSecond
	row("sequential calls/s host→guest, library guest", perSecond(f.toGuest.perSecond),
		verdict(ratio >= targetHandRatio, fmt.Sprintf("≥ ½ hand-written's: %.2f×", ratio)))
	row("sequential calls/s guest→host, library guest", perSecond(f.toHost.perSecond), "")
	row("sequential calls/s host→guest, hand-written guest", perSecond(f.toHand.perSecond), "")
	row("sequential calls/s over ipfitest.Pipe, native (no wasm)", perSecond(f.native.perSecond), "")
	if f.procErr != nil {
		row("the guests as native processes (GOMAXPROCS=1)", "not measured: "+f.procErr.Error(), "")
	} else {
		row("sequential calls/s, the guests as native processes (GOMAXPROCS=1): library / hand-written",
			perSecond(f.procLib.perSecond)+" / "+perSecond(f.procHand.perSecond),
			fmt.Sprintf("%.2f×", f.procLib.perSecond/f.procHand.perSecond))
	}
	row("per call host→guest inside the library guest", inside(f.toGuest.inside), "")
	row("per call guest→host inside the library guest", inside(f.toHost.inside), "")
	row("channel round trip between two goroutines: in the library guest / natively here",
		round(f.handoff)+" / "+round(f.nativeHandoff), "")
	row("linear memory per instance, library guest", mib(f.guestMem), "")
	row("linear memory per instance, hand-written guest", mib(f.handMem), "")
	many := func(d time.Duration) string {
		if o.n != 50 {
			return "(the target is for 50)"
		}
		return verdict(d <= targetInstances, "≤ "+targetInstances.String())
	}
	row(fmt.Sprintf("%d library guests side by side: start, call, batch, exit (total)", o.n), round(f.many), many(f.many))
	row("lightweight guest (package guest): start to first answer", durations(f.liteFirst),
		verdict(median(f.liteFirst) <= targetFirstAnswer, "median ≤ "+targetFirstAnswer.String()))
	liteRatio := f.toLite.perSecond / f.toHand.perSecond
	row("lightweight guest: sequential calls/s host→guest", perSecond(f.toLite.perSecond),
		verdict(liteRatio >= targetHandRatio, fmt.Sprintf("≥ ½ hand-written's: %.2f×", liteRatio)))
	row("lightweight guest: sequential calls/s guest→host", perSecond(f.liteToHost.perSecond), "")
	row("lightweight guest: linear memory per instance", mib(f.liteMem), "")
	row(fmt.Sprintf("%d lightweight guests side by side: start, call, batch, exit (total)", o.n), round(f.liteMany), many(f.liteMany))
	row("compiling the three guests (from the cache when warm)", round(e.compileTook), "")
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(o.out, "(-interruptible=%t; %s per calls/s figure)\n", o.interruptible, o.benchTime)
	return nil
}

func median(ds []time.Duration) time.Duration {
	return slices.Sorted(slices.Values(ds))[len(ds)/2]
}

func durations(ds []time.Duration) string {
	s := slices.Sorted(slices.Values(ds))
	return round(s[0]) + " / " + round(s[len(s)/2]) + " / " + round(s[len(s)-1])
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(10 * time.Nanosecond).String()
}

func perSecond(r float64) string {
	if r >= 10000 {
		return fmt.Sprintf("%.1fk", r/1000)
	}
	return fmt.Sprintf("%.0f", r)
}

// inside describes procedure 5's counters per call.
func inside(c []float64) string {
	if len(c) < 4 {
		return "?"
	}
	gc := "no GC"
	if c[3] > 0 {
		gc = fmt.Sprintf("a GC every %.0f calls", 1/c[3])
	}
	return fmt.Sprintf("%.1f goroutines, %.0f allocations (%.1f KiB), %s", c[0], c[1], c[2]/1024, gc)
}

func mib(b uint32) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func verdict(met bool, target string) string {
	if met {
		return target + ": met"
	}
	return target + ": MISSED"
}
