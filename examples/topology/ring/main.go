// Command ring runs a ring of IPFI peers in one process: n peers, peer i
// linked to peer i+1 (and n-1 to 0), and an entry peer outside the ring
// linked to peer 0. Each of the -calls calls enters peer 0 from the entry and
// is relayed around the ring: peer i's procedure calls peer i+1's over their
// wire, until the call is back at peer 0, which answers; each peer adds
// itself to the answer on its way back, so the entry receives the path
// 0, 1, ..., n-1, 0. -conc calls are in flight at once. It prints a summary
// and exits 1 if a call failed that should not have, or a call that should
// have failed did not, or goroutines were left.
//
// Usage:
//
//	go run ./examples/topology/ring [-n 64] [-calls 200] [-conc 8] [-tcp] [-kill 3]
//
// With -kill k, peer k's interface is closed once half of the calls have
// ended. Every call passes every peer, so every later call is affected and
// fails: with k = 0 at the entry (ipfi.ErrWireTerminated, cause
// ipfi.ErrPeerTerminated); otherwise at peer k-1, whose call to k fails that
// way, and which reports it back along the ring as an application error
// (ipfi.Error, code CodeHop) naming the hop and the cause.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/topology/topo"
)

// procRelay, on every peer: (seq, hop) relays the call to the next peer with
// hop+1, unless hop is n (the call has gone round), and answers the path
// from itself on. Every peer registers it, and the entry and every peer call
// it, through this descriptor.
var procRelay = ipfi.Proc2[int, int, []int]{Index: 1}

// CodeHop is the application error code of a relay whose call to the next
// peer failed; the error's message names the hop and the failure, and every
// peer before it passes the error back unchanged.
const CodeHop = 502

func main() { topo.Main("ring", run) }

// run parses args, runs the ring and prints its summary to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) (topo.Summary, error) {
	fs, cfg := topo.Flags("ring", stdout, 8, 50)
	conc := fs.Int("conc", 8, "calls in flight at once")
	if err := topo.Parse(fs, cfg, args, 2); err != nil {
		return topo.Summary{}, err
	}
	if *conc < 1 || *conc > 1000 {
		return topo.Summary{}, fmt.Errorf("-conc %d: want 1 to 1000", *conc)
	}
	setup := fmt.Sprintf("%d calls from the entry around the ring (%d hops each), %d at once", cfg.Calls, cfg.N+1, *conc)
	s, err := topo.Run(ctx, cfg, "ring", setup, func(ctx context.Context, nt *topo.Net, rec *topo.Recorder) (topo.Calls, error) {
		return build(ctx, cfg, *conc, nt, rec)
	})
	if err != nil {
		return s, err
	}
	s.Print(stdout)
	return s, nil
}

// build registers the relay on every peer and links the ring and the entry.
func build(ctx context.Context, cfg *topo.Config, conc int, nt *topo.Net, rec *topo.Recorder) (topo.Calls, error) {
	n := cfg.N
	// next[i] is i's end of the wire to i+1.
	next := make([]*ipfi.Wire, n)
	for i, p := range nt.Peers {
		err := procRelay.Register(p.Iface, func(ctx context.Context, seq, hop int) ([]int, error) {
			if hop == n {
				return []int{i}, nil
			}
			path, err := procRelay.Call(ctx, next[i], seq, hop+1)
			var hopErr *ipfi.Error
			switch {
			case errors.As(err, &hopErr) && hopErr.Code == CodeHop:
				return nil, hopErr // a hop further on failed: pass its error back as it is
			case err != nil:
				return nil, &ipfi.Error{Code: CodeHop, Message: fmt.Sprintf("peer %d → peer %d: %v", i, (i+1)%n, err)}
			}
			return append([]int{i}, path...), nil
		})
		if err != nil {
			return nil, err
		}
	}
	for i := range n {
		var err error
		if next[i], _, err = nt.Link(ctx, nt.Peers[i], nt.Peers[(i+1)%n]); err != nil {
			return nil, err
		}
	}
	entry, err := nt.NewEntry()
	if err != nil {
		return nil, err
	}
	toRing, _, err := nt.Link(ctx, entry, nt.Peers[0])
	if err != nil {
		return nil, err
	}

	want := make([]int, 0, n+1)
	for i := range n {
		want = append(want, i)
	}
	want = append(want, 0)
	return func(ctx context.Context, from, to int) error {
		return topo.ForEach(ctx, from, to, conc, func(ctx context.Context, seq int) {
			var path []int
			d, err := topo.Timed(ctx, cfg, func(ctx context.Context) (err error) {
				path, err = procRelay.Call(ctx, toRing, seq, 0)
				return err
			})
			if err == nil && !slices.Equal(path, want) {
				err = topo.WrongReply(path, want)
			}
			// Every call passes every peer.
			rec.Record("entry→ring→entry", d, err, cfg.AfterKill(seq))
		})
	}, nil
}
