package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/ipfi-go/ipfi/tests/bench/internal/stats"
)

// report is the JSON the command writes with -json.
type report struct {
	Scenarios map[string]map[string]figures `json:"scenarios"`
	// Ratios are "ipfi/SYSTEM": the median over rounds of ipfi's time
	// over SYSTEM's in the same round (paired).
	Ratios map[string]map[string]float64 `json:"ratios"`
	// Intervals are the ratios' 95% intervals (bootstrap): [low, high].
	Intervals map[string]map[string][2]float64 `json:"intervals"`
	Memory    memoryResult                     `json:"memory"`
}

// figures are one system's results in one scenario, per operation (per
// value for a stream).
type figures struct {
	MedianNs    float64 `json:"median_ns"`
	OpsPerS     float64 `json:"ops_per_s"`
	CPUNsPerOp  float64 `json:"cpu_ns_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
}

func newReport() *report {
	return &report{Scenarios: map[string]map[string]figures{}, Ratios: map[string]map[string]float64{}, Intervals: map[string]map[string][2]float64{}}
}

// add records a scenario's results, in the order of names, and its ratios.
func (r *report) add(sc scenario, names []string, res map[string]*result) {
	figs := make(map[string]figures, len(res))
	for _, n := range names {
		x := res[n]
		figs[n] = figures{
			MedianNs:    round(x.medianNs(), 0),
			OpsPerS:     round(x.opsPerSec(), 0),
			CPUNsPerOp:  round(x.cpuNsPerOp(), 0),
			AllocsPerOp: round(x.allocsPerOp(), 2),
		}
	}
	r.Scenarios[sc.name] = figs
	if ours, ok := res["ipfi"]; ok {
		ratios, intervals := map[string]float64{}, map[string][2]float64{}
		for _, n := range names {
			if n != "ipfi" {
				p := pairedRatio(ours, res[n])
				ratios["ipfi/"+n] = round(p.median, 3)
				intervals["ipfi/"+n] = [2]float64{round(p.lo, 3), round(p.hi, 3)}
			}
		}
		r.Ratios[sc.name], r.Intervals[sc.name] = ratios, intervals
	}
}

// paired is a paired ratio: the median over rounds of one system's time
// over another's in the same round, and its 95% interval.
type paired struct{ median, lo, hi float64 }

// pairedRatio returns a's time over b's, paired by round.
func pairedRatio(a, b *result) paired {
	xs := stats.Paired(a.perRound, b.perRound)
	lo, hi := stats.Interval(xs)
	return paired{stats.Median(xs), lo, hi}
}

// printScenario writes one scenario's table.
func printScenario(out io.Writer, sc scenario, names []string, res map[string]*result) {
	rounds := 0
	if len(names) > 0 {
		rounds = len(res[names[0]].samples)
	}
	unit := "op"
	if sc.items > 1 {
		unit = "value"
	}
	fmt.Fprintf(out, "\n%s: %s\n  %d x %d ops per round, %d rounds; figures per %s\n", sc.name, sc.what, sc.batch, sc.items, rounds, unit)
	throughput := sc.callers > 1 || sc.items > 1
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "system\tmedian\tspread (min..max)\tops/s\tcpu/op\tallocs/op\tgoroutines/op\tipfi/sys time [95%]\t"
	if throughput {
		head += "ipfi/sys thr\t"
	}
	fmt.Fprintln(tw, head)
	ours, haveOurs := res["ipfi"]
	for _, n := range names {
		x := res[n]
		line := fmt.Sprintf("%s\t%s\t%s..%s\t%s\t%s\t%.1f\t%.2f\t", n, dur(x.medianNs()), dur(x.minNs()), dur(x.maxNs()),
			count(x.opsPerSec()), dur(x.cpuNsPerOp()), x.allocsPerOp(), x.goroutinesPerOp())
		switch {
		case !haveOurs || n == "ipfi":
			line += "-\t"
			if throughput {
				line += "-\t"
			}
		default:
			p := pairedRatio(ours, x)
			line += fmt.Sprintf("%.2fx [%.2f-%.2f]\t", p.median, p.lo, p.hi)
			if throughput {
				line += fmt.Sprintf("%.2fx\t", 1/p.median)
			}
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// printMemory writes the memory section.
func printMemory(out io.Writer, m memoryResult) {
	fmt.Fprintln(out, "\nmemory (ipfi; HeapInuse+StackInuse after GC, change per item)")
	if m.idleWires > 0 {
		note := ""
		if m.idleWires < m.idleWanted {
			note = fmt.Sprintf(" (not %d: that many pairs, both ends in this process, do not fit the open-file limit)", m.idleWanted)
		}
		fmt.Fprintf(out, "  idle_wire_bytes  %8.0f B per idle wire (%.0f B of it stacks), %d wires on one interface made as Serve makes them%s, bare TCP pairs subtracted\n",
			m.IdleWireBytes, m.idleStack, m.idleWires, note)
	}
	if m.openCalls > 0 {
		fmt.Fprintf(out, "  open_call_bytes  %8.0f B per open call, %d calls on one wire: client %.0f B + server %.0f B (procedure goroutine included)\n",
			m.OpenCallBytes, m.openCalls, m.callClient, m.callSrv)
		fmt.Fprintf(out, "                   cross-check, both sides on one wire measured together: %.0f B (its procedures may reuse the goroutine records the server-side run left, so it can read lower)\n",
			m.callEndToEnd)
	}
}

// printMachine writes what the figures were measured on.
func printMachine(out io.Writer) {
	fmt.Fprintf(out, "machine: %s/%s, %d CPUs, GOMAXPROCS %d, %s\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
}

// writeJSON writes r to the named file.
func writeJSON(path string, r *report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// round rounds x to the given number of decimals.
func round(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}

// dur formats nanoseconds for the table.
func dur(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.0fns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1fus", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.2fms", ns/1e6)
	}
	return fmt.Sprintf("%.2fs", ns/1e9)
}

// count formats a rate with a k or M suffix.
func count(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", x), ".0")
}
