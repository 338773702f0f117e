package topo

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/ipfi-go/ipfi"
)

// Recorder collects the outcome of every call an example makes: its kind
// (which way it went), its latency, its error, and whether the topology
// counts it as affected by the kill (it went through the killed peer after
// the kill, so it is expected to fail). It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	kinds  []*kindStats
	byName map[string]*kindStats
	errs   map[string]*ErrorCount
	stats  []Stat
	// affected, affectedFailed and unaffectedFailed count the calls the
	// kill affected, those of them that failed, and the failures of the
	// others.
	affected, affectedFailed, unaffectedFailed int
}

// kindStats is what Recorder holds for one kind of call.
type kindStats struct {
	name        string
	calls, fail int
	lat         []time.Duration // of the calls that succeeded
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{byName: map[string]*kindStats{}, errs: map[string]*ErrorCount{}}
}

// Declare lists the kinds of calls an example makes, in the order the
// summary shows them (a kind first recorded without being declared comes
// after them).
func (r *Recorder) Declare(kinds ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, kind := range kinds {
		if r.byName[kind] == nil {
			k := &kindStats{name: kind}
			r.byName[kind] = k
			r.kinds = append(r.kinds, k)
		}
	}
}

// Record records one call of the given kind that took d and ended with err
// (nil: success); affected says whether the topology expects it to fail
// because of the kill.
func (r *Recorder) Record(kind string, d time.Duration, err error, affected bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.byName[kind]
	if k == nil {
		k = &kindStats{name: kind}
		r.byName[kind] = k
		r.kinds = append(r.kinds, k)
	}
	k.calls++
	if affected {
		r.affected++
	}
	if err == nil {
		k.lat = append(k.lat, d)
		return
	}
	k.fail++
	if affected {
		r.affectedFailed++
	} else {
		r.unaffectedFailed++
	}
	text := err.Error()
	e := r.errs[text]
	if e == nil {
		e = &ErrorCount{Text: text, Sample: err}
		r.errs[text] = e
	}
	e.Count++
}

// Add adds n to the example's own counter name (created at 0 on first use),
// printed in the summary in the order first added.
func (r *Recorder) Add(name string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.stats {
		if r.stats[i].Name == name {
			r.stats[i].Value += n
			return
		}
	}
	r.stats = append(r.stats, Stat{Name: name, Value: n})
}

// Stat is one of an example's own counters.
type Stat struct {
	Name  string
	Value int
}

// ErrorCount is one distinct error (by its text) and how many calls ended
// with it.
type ErrorCount struct {
	Text  string
	Count int
	// Sample is the first error with that text, for errors.Is.
	Sample error
}

// KindSummary is the outcome of the calls of one kind.
type KindSummary struct {
	Kind              string
	Calls, OK, Failed int
	// P50 and P99 are latencies of the calls that succeeded.
	P50, P99 time.Duration
}

// Summary is what an example reports.
type Summary struct {
	Topology  string
	Transport string
	Peers     int
	Wires     int
	// Setup describes the example's own parameters in one line.
	Setup string
	// Kill is what the kill did, if a peer was killed (Kill.Peer is NoKill
	// otherwise); KillAt is the call or round number it happened before.
	Kill   KillReport
	KillAt int

	// Calls, OK and Failed count every call recorded.
	Calls, OK, Failed int
	// Affected counts the calls that went through the killed peer after
	// the kill; AffectedFailed those of them that failed (all of them,
	// when the library does its job); UnaffectedFailed the failures of the
	// other calls (none, when it does).
	Affected, AffectedFailed, UnaffectedFailed int
	// WireTerminated counts the failures that match ipfi.ErrWireTerminated
	// (at the caller; a failure further along comes back as a remote error).
	WireTerminated int
	Kinds          []KindSummary
	// Errors are the distinct errors, most frequent first.
	Errors []ErrorCount
	// P50 and P99 are latencies of every call that succeeded.
	P50, P99 time.Duration
	Stats    []Stat

	// GoroutinesBefore is runtime.NumGoroutine before anything was made,
	// GoroutinesAfter once everything was closed.
	GoroutinesBefore, GoroutinesAfter int
	Elapsed                           time.Duration
}

// Summarize returns the summary of what r recorded; the caller fills in the
// rest (topology, peers, goroutines, ...).
func (r *Recorder) Summarize() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Summary{
		Kill:             KillReport{Peer: NoKill},
		Affected:         r.affected,
		AffectedFailed:   r.affectedFailed,
		UnaffectedFailed: r.unaffectedFailed,
		Stats:            append([]Stat(nil), r.stats...),
	}
	var all []time.Duration
	for _, k := range r.kinds {
		lat := append([]time.Duration(nil), k.lat...)
		sortDurations(lat)
		s.Kinds = append(s.Kinds, KindSummary{
			Kind: k.name, Calls: k.calls, OK: k.calls - k.fail, Failed: k.fail,
			P50: percentile(lat, 0.50), P99: percentile(lat, 0.99),
		})
		s.Calls += k.calls
		s.Failed += k.fail
		all = append(all, lat...)
	}
	s.OK = s.Calls - s.Failed
	sortDurations(all)
	s.P50, s.P99 = percentile(all, 0.50), percentile(all, 0.99)
	for _, e := range r.errs {
		s.Errors = append(s.Errors, *e)
		if errors.Is(e.Sample, ipfi.ErrWireTerminated) {
			s.WireTerminated += e.Count
		}
	}
	sort.Slice(s.Errors, func(i, j int) bool {
		if s.Errors[i].Count != s.Errors[j].Count {
			return s.Errors[i].Count > s.Errors[j].Count
		}
		return s.Errors[i].Text < s.Errors[j].Text
	})
	return s
}

func sortDurations(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }

// percentile returns the p-th quantile (nearest rank) of sorted, 0 if empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// Stat returns the value of the example's counter name (0 if absent).
func (s Summary) Stat(name string) int {
	for _, st := range s.Stats {
		if st.Name == name {
			return st.Value
		}
	}
	return 0
}

// Check reports what in the summary is not as it should be: a call that
// failed without going through the killed peer, an affected call that
// succeeded, goroutines left after closing everything.
func (s Summary) Check() error {
	var errs []error
	if s.UnaffectedFailed > 0 {
		errs = append(errs, fmt.Errorf("%d calls failed that did not go through a killed peer", s.UnaffectedFailed))
	}
	if s.AffectedFailed != s.Affected {
		errs = append(errs, fmt.Errorf("%d calls through the killed peer succeeded", s.Affected-s.AffectedFailed))
	}
	if s.GoroutinesAfter > s.GoroutinesBefore {
		errs = append(errs, fmt.Errorf("%d goroutines left after closing everything", s.GoroutinesAfter-s.GoroutinesBefore))
	}
	return errors.Join(errs...)
}

// Expect reports how the summary differs from what a run that made calls
// calls, affected of them through the killed peer after the kill, should
// show: every affected call failed, every other succeeded, every failure
// matches ipfi.ErrWireTerminated at the caller unless remoteFailures says
// it comes back from further along, and no goroutine was left.
func (s Summary) Expect(calls, affected int, remoteFailures bool) error {
	var errs []error
	if s.Calls != calls {
		errs = append(errs, fmt.Errorf("%d calls made, want %d", s.Calls, calls))
	}
	if s.Affected != affected || s.AffectedFailed != affected || s.Failed != affected || s.UnaffectedFailed != 0 {
		errs = append(errs, fmt.Errorf("%d calls affected, %d of them failed, %d failed in all, %d unaffected failed; want %d, all of them and no other",
			s.Affected, s.AffectedFailed, s.Failed, s.UnaffectedFailed, affected))
	}
	if !remoteFailures && s.WireTerminated != s.Failed {
		errs = append(errs, fmt.Errorf("%d of %d failures match ipfi.ErrWireTerminated", s.WireTerminated, s.Failed))
	}
	if s.GoroutinesAfter > s.GoroutinesBefore {
		errs = append(errs, fmt.Errorf("goroutines: %d before, %d after", s.GoroutinesBefore, s.GoroutinesAfter))
	}
	return errors.Join(errs...)
}

// Print writes the summary, one fact a line.
func (s Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "%s over %s: %d peers, %d wires; %s\n", s.Topology, s.Transport, s.Peers, s.Wires, s.Setup)
	if s.Kill.Peer != NoKill {
		fmt.Fprintf(w, "kill: before call %d, %s\n", s.KillAt, s.Kill)
	}
	fmt.Fprintf(w, "calls: %d made, %d ok, %d failed\n", s.Calls, s.OK, s.Failed)
	if s.Kill.Peer != NoKill {
		fmt.Fprintf(w, "affected by the kill: %d calls, %d of them failed; failures of other calls: %d\n",
			s.Affected, s.AffectedFailed, s.UnaffectedFailed)
	}
	for _, k := range s.Kinds {
		fmt.Fprintf(w, "  %-20s %7d made %7d ok %6d failed   p50 %-9v p99 %v\n",
			k.Kind, k.Calls, k.OK, k.Failed, round(k.P50), round(k.P99))
	}
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "errors (%d distinct; %d matching ipfi.ErrWireTerminated):\n", len(s.Errors), s.WireTerminated)
		for _, e := range s.Errors {
			fmt.Fprintf(w, "  %6d × %s\n", e.Count, e.Text)
		}
	}
	for _, st := range s.Stats {
		fmt.Fprintf(w, "%s: %d\n", st.Name, st.Value)
	}
	fmt.Fprintf(w, "latency of ok calls: p50 %v, p99 %v\n", round(s.P50), round(s.P99))
	fmt.Fprintf(w, "goroutines: %d before, %d after closing everything\n", s.GoroutinesBefore, s.GoroutinesAfter)
	fmt.Fprintf(w, "elapsed: %v\n", s.Elapsed.Round(time.Millisecond))
}

// round keeps three significant digits or so.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
