package ipfidebug

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ipfi-go/ipfi/procedures"
)

// Interface is what Handler and Expose show: an *ipfi.Interface.
type Interface interface {
	// Snapshot returns the interface's live view.
	Snapshot() Snapshot
	// Register makes a procedure callable by the interface's peers.
	Register(idx procedures.Index, p procedures.Procedure) error
}

// Handler serves i's live view over HTTP, like /debug/pprof: the tree as
// text (Snapshot.String), or JSON with ?format=json. Each request takes a
// snapshot of its own; requests may come concurrently. Mount it where only
// operators reach it.
func Handler(i Interface) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		s := i.Snapshot()
		if r.URL.Query().Get("format") == "json" {
			rw.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(rw).Encode(s)
			return
		}
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprint(rw, s.String())
	})
}

// SnapshotIndex is the procedure index at which `ipfi serve` exposes its
// live view (Expose), and which `ipfi tree` calls by default.
const SnapshotIndex procedures.Index = 65535

// Expose registers on i, at index idx, a procedure that answers i's
// Snapshot as JSON (one MessagePack string), so that a peer sees the live
// view over a wire: `ipfi tree ADDR` prints it as a tree. Like Handler it
// shows every wire's peer address and the calls open on it: expose it only
// to peers that may see that.
func Expose(i Interface, idx procedures.Index) error {
	return i.Register(idx, procedures.Func0(func(context.Context) (string, error) {
		b, err := json.Marshal(i.Snapshot())
		return string(b), err
	}))
}
