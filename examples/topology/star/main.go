// Command star runs a star of IPFI peers in one process: peer 0 is the hub,
// peers 1 to n-1 its clients, each linked to the hub by one wire. Each
// client calls the hub -calls times, and the hub answers each call only
// after calling that client back over the same wire (ipfi.WireFrom); at the
// same time the hub calls each client -calls times over its own ends of the
// wires. It prints a summary and exits 1 if a call failed that should not
// have, or a call that should have failed did not, or goroutines were left.
//
// Usage:
//
//	go run ./examples/topology/star [-n 64] [-calls 100] [-tcp] [-kill 3]
//
// With -kill k, peer k's interface is closed once every caller has made
// half of its calls (and every call made so far has ended). The calls
// affected are the later calls that involve k: for a client k, its own
// calls to the hub (its wire is closed: ipfi.ErrWireTerminated, cause
// ipfi.ErrClosed) and the hub's calls to it (ErrWireTerminated, cause
// ipfi.ErrPeerTerminated); for the hub (k = 0), every later call. Every
// other call must succeed.
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/topology/topo"
)

// The procedures, which the hub and the clients register and call through
// these descriptors.
var (
	// procVisit, on the hub: a client's call (client, seq); the hub calls
	// the client's procEcho back with seq before it answers Reply{0, seq}.
	procVisit = ipfi.Proc2[int, int, Reply]{Index: 1}
	// procEcho, on a client: answers (seq) with Reply{client, seq}.
	procEcho = ipfi.Proc1[int, Reply]{Index: 2}
)

// Reply says who answered which call, so the caller can check the answer
// came from the right peer.
type Reply struct {
	Peer int
	Seq  int
}

// The kinds of calls the summary counts.
const (
	kindVisit = "client→hub→client"
	kindCall  = "hub→client"
)

func main() { topo.Main("star", run) }

// run parses args, runs the star and prints its summary to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) (topo.Summary, error) {
	fs, cfg := topo.Flags("star", stdout, 8, 20)
	if err := topo.Parse(fs, cfg, args, 2); err != nil {
		return topo.Summary{}, err
	}
	setup := fmt.Sprintf("hub 0, clients 1-%d; %d calls each way per client", cfg.N-1, cfg.Calls)
	s, err := topo.Run(ctx, cfg, "star", setup, func(ctx context.Context, nt *topo.Net, rec *topo.Recorder) (topo.Calls, error) {
		return build(ctx, cfg, nt, rec)
	})
	if err != nil {
		return s, err
	}
	s.Print(stdout)
	return s, nil
}

// affected reports whether call seq between client c and the hub goes
// through the killed peer after the kill.
func affected(cfg *topo.Config, c, seq int) bool {
	return cfg.AfterKill(seq) && (cfg.Kill == 0 || cfg.Kill == c)
}

// build registers the procedures and links every client to the hub.
func build(ctx context.Context, cfg *topo.Config, nt *topo.Net, rec *topo.Recorder) (topo.Calls, error) {
	hub := nt.Peers[0]
	err := procVisit.Register(hub.Iface, func(ctx context.Context, client, seq int) (Reply, error) {
		r, err := procEcho.Call(ctx, ipfi.WireFrom(ctx), seq)
		if err != nil {
			return Reply{}, fmt.Errorf("hub calling client %d back: %w", client, err)
		}
		if r != (Reply{client, seq}) {
			return Reply{}, wrongCallback(r, client, seq)
		}
		return Reply{0, seq}, nil
	})
	if err != nil {
		return nil, err
	}
	rec.Declare(kindVisit, kindCall)
	// toHub[c] is client c's end of its wire, toClient[c] the hub's.
	toHub := make([]*ipfi.Wire, cfg.N)
	toClient := make([]*ipfi.Wire, cfg.N)
	for _, p := range nt.Peers[1:] {
		id := p.ID
		err := procEcho.Register(p.Iface, func(_ context.Context, seq int) (Reply, error) {
			return Reply{id, seq}, nil
		})
		if err != nil {
			return nil, err
		}
		if toHub[id], toClient[id], err = nt.Link(ctx, p, hub); err != nil {
			return nil, err
		}
	}

	// Each round, every client's caller and the hub's caller for it make
	// one call each; the 2(n-1) callers run at once, each making its calls
	// one after another.
	return func(ctx context.Context, from, to int) error {
		return topo.ForEach(ctx, 0, 2*(cfg.N-1), 2*(cfg.N-1), func(ctx context.Context, i int) {
			c, fromHub := 1+i/2, i%2 == 1
			for seq := from; seq < to && ctx.Err() == nil; seq++ {
				var r Reply
				var want Reply
				var kind string
				d, err := topo.Timed(ctx, cfg, func(ctx context.Context) (err error) {
					if fromHub {
						kind, want = kindCall, Reply{c, seq}
						r, err = procEcho.Call(ctx, toClient[c], seq)
					} else {
						kind, want = kindVisit, Reply{0, seq}
						r, err = procVisit.Call(ctx, toHub[c], c, seq)
					}
					return err
				})
				if err == nil && r != want {
					err = topo.WrongReply(r, want)
				}
				rec.Record(kind, d, err, affected(cfg, c, seq))
			}
		})
	}, nil
}

// wrongCallback is the hub's error when a client's call back answered for
// another client or call.
func wrongCallback(r Reply, client, seq int) error {
	return fmt.Errorf("call back of client %d answered %+v, want {Peer:%d Seq:%d}", client, r, client, seq)
}
