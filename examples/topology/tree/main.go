// Command tree runs a fan-out tree of IPFI peers in one process: n peers
// in a complete tree, peer i's children being peers b·i+1 to b·i+b (b is
// -branch; -depth d sets n to a full tree of d levels below the root), each
// linked to its parent by a wire, and an entry peer outside the tree linked to
// the root, peer 0. Each of the -calls requests goes from the entry to the
// root, a sequence procedure (ipfi.SeqProc1): it streams its own
// answer, calls its children's (each child fans out again), and streams
// their answers back as they arrive, merged, so the entry receives one
// answer per peer. -conc requests are in flight at once. It prints a
// summary and exits 1 if a call failed that should not have, or a call that
// should have failed did not, or an answer was missing that should not be, or
// goroutines were left.
//
// Usage:
//
//	go run ./examples/topology/tree [-n 64 | -depth 5] [-branch 2] [-calls 100] [-conc 4] [-tcp] [-kill 3]
//
// Calls counted: the entry's request to the root and every fan-out call
// from a parent to a child, each recorded by its caller (latency: until the
// stream has ended).
//
// With -kill k, peer k's interface is closed once half of the requests have
// ended. For every later request, the one call affected is the call to k:
// the root's from the entry for k = 0, which fails (ipfi.ErrWireTerminated,
// cause ipfi.ErrPeerTerminated) and with it the whole request; else the
// call from k's parent, which fails the same way. k's parent then streams
// an error answer for k in place of the answers of k's subtree, whose calls
// are never made, and the request succeeds with every other peer's answer:
// the summary counts those partial answers and the peers missing from them.
package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/topology/topo"
)

// procGather, on every peer: a sequence procedure that streams, for
// request Req, one Answer from the peer and those of its subtree. Every
// peer registers it, and the entry and every parent call it, through this
// descriptor.
var procGather = ipfi.SeqProc1[Req, Answer]{Index: 1}

// Req is a request the entry sends down the tree.
type Req struct {
	Seq int
}

// Answer is one peer's answer to a request, or, with Err set, the failure of
// the call to peer Peer, which stands for its whole subtree.
type Answer struct {
	Peer int
	Seq  int
	Err  string
}

// The kinds of calls the summary counts, and its own counters.
const (
	kindEntry = "entry→root"
	kindFan   = "parent→child"

	statPartial = "requests answered without a subtree (partial)"
	statMissing = "answers missing from them (peers cut off)"
	statErrors  = "error answers standing in for a subtree"
)

// tree is the shape: n peers, branching b.
type tree struct{ n, b int }

// children returns the children of peer i.
func (t tree) children(i int) []int {
	var c []int
	for j := t.b*i + 1; j <= t.b*i+t.b && j < t.n; j++ {
		c = append(c, j)
	}
	return c
}

// subtree returns the size of the subtree rooted at i.
func (t tree) subtree(i int) int {
	s := 1
	for _, c := range t.children(i) {
		s += t.subtree(c)
	}
	return s
}

// inSubtree reports whether peer p is in the subtree rooted at i.
func (t tree) inSubtree(p, i int) bool {
	for p > i {
		p = (p - 1) / t.b
	}
	return p == i
}

func main() { topo.Main("tree", run) }

// run parses args, runs the tree and prints its summary to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) (topo.Summary, error) {
	fs, cfg := topo.Flags("tree", stdout, 8, 20)
	branch := fs.Int("branch", 2, "children per peer")
	depth := fs.Int("depth", 0, "if set, levels below the root: sets -n to the size of the full tree")
	conc := fs.Int("conc", 4, "requests in flight at once")
	if err := fs.Parse(args); err != nil {
		return topo.Summary{}, err
	}
	if fs.NArg() > 0 {
		return topo.Summary{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *branch < 1 || *branch > 64 || *depth < 0 || *depth > 12 || *conc < 1 || *conc > 1000 {
		return topo.Summary{}, fmt.Errorf("-branch 1..64, -depth 0..12, -conc 1..1000")
	}
	if *depth > 0 {
		cfg.N = 1
		for level, width := 1, 1; level <= *depth && cfg.N <= 4096; level++ {
			width *= *branch
			cfg.N += width
		}
	}
	if err := cfg.Check(2); err != nil {
		return topo.Summary{}, err
	}
	t := tree{cfg.N, *branch}
	setup := fmt.Sprintf("branching %d, %d requests from the entry (%d calls each), %d at once",
		t.b, cfg.Calls, cfg.N, *conc)
	s, err := topo.Run(ctx, cfg, "tree", setup, func(ctx context.Context, nt *topo.Net, rec *topo.Recorder) (topo.Calls, error) {
		return build(ctx, cfg, t, *conc, nt, rec)
	})
	if err != nil {
		return s, err
	}
	s.Print(stdout)
	if err := checkAnswers(cfg, t, s); err != nil {
		return s, err
	}
	return s, nil
}

// wantMissing returns how many answers every request after the kill lacks
// (the killed peer's subtree), and how many of them are error answers.
func wantMissing(cfg *topo.Config, t tree) (missing, errAnswers int) {
	if cfg.Kill == topo.NoKill || cfg.Kill == 0 {
		return 0, 0 // without a kill nothing is missing; without the root, no request is answered
	}
	return t.subtree(cfg.Kill), 1
}

// checkAnswers checks the summary's counts of partial answers.
func checkAnswers(cfg *topo.Config, t tree, s topo.Summary) error {
	after := cfg.Calls - cfg.KillAt()
	missing, errs := wantMissing(cfg, t)
	partial := after
	if missing == 0 {
		partial = 0
	}
	got := [3]int{s.Stat(statPartial), s.Stat(statMissing), s.Stat(statErrors)}
	want := [3]int{partial, after * missing, after * errs}
	if got != want {
		return fmt.Errorf("partial requests, missing and error answers: got %v, want %v", got, want)
	}
	return nil
}

// build registers the gathering procedure on every peer and links the tree
// and the entry.
func build(ctx context.Context, cfg *topo.Config, t tree, conc int, nt *topo.Net, rec *topo.Recorder) (topo.Calls, error) {
	rec.Declare(kindEntry, kindFan)
	// down[c] is c's parent's end of the wire between them.
	down := make([]*ipfi.Wire, t.n)
	for i, p := range nt.Peers {
		kids := t.children(i)
		err := procGather.Register(p.Iface, func(ctx context.Context, req Req, yield func(Answer) error) error {
			if err := yield(Answer{Peer: i, Seq: req.Seq}); err != nil {
				return err
			}
			return fanOut(ctx, cfg, i, kids, down, req, rec, yield)
		})
		if err != nil {
			return nil, err
		}
	}
	for i := range t.n {
		for _, c := range t.children(i) {
			var err error
			if down[c], _, err = nt.Link(ctx, nt.Peers[i], nt.Peers[c]); err != nil {
				return nil, err
			}
		}
	}
	entry, err := nt.NewEntry()
	if err != nil {
		return nil, err
	}
	toRoot, _, err := nt.Link(ctx, entry, nt.Peers[0])
	if err != nil {
		return nil, err
	}

	return func(ctx context.Context, from, to int) error {
		return topo.ForEach(ctx, from, to, conc, func(ctx context.Context, seq int) {
			var answers []Answer
			d, err := topo.Timed(ctx, cfg, func(ctx context.Context) (err error) {
				answers, err = procGather.Collect(ctx, toRoot, Req{seq})
				return err
			})
			if err == nil {
				err = checkRequest(cfg, t, seq, answers, rec)
			}
			rec.Record(kindEntry, d, err, cfg.AfterKill(seq) && cfg.Kill == 0)
		})
	}, nil
}

// fanOut calls every child of peer i at once, streams their answers through
// yield as they arrive, and returns once every child's call has ended. A
// child whose call fails is answered for by an error answer.
func fanOut(ctx context.Context, cfg *topo.Config, i int, kids []int, down []*ipfi.Wire, req Req, rec *topo.Recorder, yield func(Answer) error) error {
	if len(kids) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answers := make(chan Answer)
	// send hands an answer to the merging loop below, unless the call has
	// ended (the loop has stopped reading).
	send := func(a Answer) bool {
		select {
		case answers <- a:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var wg sync.WaitGroup
	for _, c := range kids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			var err error
			for a, e := range procGather.Iter(ctx, down[c], req) {
				if err = e; err != nil || !send(a) {
					break
				}
			}
			rec.Record(kindFan, time.Since(start), err, cfg.AfterKill(req.Seq) && c == cfg.Kill)
			if err != nil {
				send(Answer{Peer: c, Seq: req.Seq, Err: fmt.Sprintf("peer %d → peer %d: %v", i, c, err)})
			}
		}()
	}
	go func() {
		wg.Wait()
		close(answers)
	}()
	var err error
	for a := range answers {
		if err == nil {
			if err = yield(a); err != nil {
				cancel() // the caller is gone: stop the children's calls, then drain
			}
		}
	}
	return err
}

// checkRequest checks a request's answers: one from every peer once, or,
// after the kill of a peer k other than the root, one from every peer
// outside k's subtree and one error answer for k. It counts partial answers.
func checkRequest(cfg *topo.Config, t tree, seq int, answers []Answer, rec *topo.Recorder) error {
	cut := topo.NoKill
	if cfg.AfterKill(seq) {
		cut = cfg.Kill
	}
	seen := make([]bool, t.n)
	got, errs := 0, 0
	for _, a := range answers {
		switch {
		case a.Peer < 0 || a.Peer >= t.n || a.Seq != seq:
			return fmt.Errorf("request %d: stray answer %+v", seq, a)
		case a.Err != "" && a.Peer == cut:
			errs++
		case a.Err != "":
			return fmt.Errorf("request %d: unexpected error answer: %s", seq, a.Err)
		case seen[a.Peer] || (cut != topo.NoKill && t.inSubtree(a.Peer, cut)):
			return fmt.Errorf("request %d: unexpected answer from peer %d", seq, a.Peer)
		default:
			seen[a.Peer] = true
			got++
		}
	}
	want := t.n
	if cut != topo.NoKill {
		want -= t.subtree(cut)
	}
	if got != want {
		return fmt.Errorf("request %d: %d answers, want %d", seq, got, want)
	}
	if cut != topo.NoKill && errs != 1 {
		return fmt.Errorf("request %d: %d error answers for peer %d, want 1", seq, errs, cut)
	}
	if got < t.n {
		rec.Add(statPartial, 1)
		rec.Add(statMissing, t.n-got)
		rec.Add(statErrors, errs)
	}
	return nil
}
