// Command mesh runs a full mesh of IPFI peers in one process: n peers, one
// wire between every pair (both ends call over it), and every peer calling
// every other -calls times, all pairs at once. It prints a summary and exits
// 1 if a call failed that should not have, or a call that should have failed
// did not, or goroutines were left.
//
// Usage:
//
//	go run ./examples/topology/mesh [-n 64] [-calls 10] [-tcp] [-kill 3]
//
// With -kill k, peer k's interface is closed once every pair has made half
// of its calls (and every call made so far has ended). The calls affected
// are the later calls from k (its wires are closed: ipfi.ErrWireTerminated,
// cause ipfi.ErrClosed) and to k (ErrWireTerminated, cause
// ipfi.ErrPeerTerminated): 2(n-1) per round. Every other call must succeed.
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/topology/topo"
	"github.com/ipfi-go/ipfi/procedures"
)

// procPing, on every peer: answers (from, seq) with Reply{itself, from, seq}.
// Every peer registers it and calls it through this descriptor.
var procPing = ipfi.Proc2[int, int, Reply]{Index: 1}

// Reply says who answered which call, so the caller can check the answer
// came over the right wire.
type Reply struct {
	Peer, From, Seq int
}

func main() { topo.Main("mesh", run) }

// run parses args, runs the mesh and prints its summary to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) (topo.Summary, error) {
	fs, cfg := topo.Flags("mesh", stdout, 8, 10)
	if err := topo.Parse(fs, cfg, args, 2); err != nil {
		return topo.Summary{}, err
	}
	setup := fmt.Sprintf("%d calls from every peer to every other", cfg.Calls)
	s, err := topo.Run(ctx, cfg, "mesh", setup, func(ctx context.Context, nt *topo.Net, rec *topo.Recorder) (topo.Calls, error) {
		return build(ctx, cfg, nt, rec)
	})
	if err != nil {
		return s, err
	}
	s.Print(stdout)
	return s, nil
}

// build registers the procedure and links every pair of peers.
func build(ctx context.Context, cfg *topo.Config, nt *topo.Net, rec *topo.Recorder) (topo.Calls, error) {
	n := cfg.N
	// wires[i][j] is i's end of the wire between i and j.
	wires := make([][]*ipfi.Wire, n)
	for i, p := range nt.Peers {
		wires[i] = make([]*ipfi.Wire, n)
		id := p.ID
		err := p.Iface.Register(procPing.Index, procedures.Quick(procPing.Procedure(func(_ context.Context, from, seq int) (Reply, error) {
			return Reply{id, from, seq}, nil
		})))
		if err != nil {
			return nil, err
		}
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			var err error
			if wires[i][j], wires[j][i], err = nt.Link(ctx, nt.Peers[i], nt.Peers[j]); err != nil {
				return nil, err
			}
		}
	}

	// Each ordered pair (i, j) has a caller of its own, making its calls
	// one after another; all n(n-1) run at once.
	return func(ctx context.Context, from, to int) error {
		return topo.ForEach(ctx, 0, n*n, n*n, func(ctx context.Context, ij int) {
			i, j := ij/n, ij%n
			if i == j {
				return
			}
			for seq := from; seq < to && ctx.Err() == nil; seq++ {
				var r Reply
				d, err := topo.Timed(ctx, cfg, func(ctx context.Context) (err error) {
					r, err = procPing.Call(ctx, wires[i][j], i, seq)
					return err
				})
				if want := (Reply{j, i, seq}); err == nil && r != want {
					err = topo.WrongReply(r, want)
				}
				affected := cfg.AfterKill(seq) && (i == cfg.Kill || j == cfg.Kill)
				rec.Record("peer→peer", d, err, affected)
			}
		})
	}, nil
}
