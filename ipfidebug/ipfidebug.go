// Package ipfidebug shows an ipfi interface's live view, its wires and the
// calls open on them (Interface.Snapshot), to operators: as a tree or JSON
// over HTTP, like /debug/pprof (Handler), or to peers as a procedure
// (Expose), which `ipfi tree ADDR` prints.
//
//	mux.Handle("/debug/ipfi", ipfidebug.Handler(iface))
//	err := ipfidebug.Expose(iface, ipfidebug.SnapshotIndex)
//
// Both show every wire's peer address and the calls open on it: serve them
// only where operators, or peers that may see that, reach them.
package ipfidebug

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ipfi-go/ipfi/procedures"
)

// Snapshot is a live view of an interface (what ipfi's
// Interface.Snapshot returns): its wires and the calls open on them, as
// their actors report them (each answers between two of its messages:
// nothing is stopped). It prints as a tree (String) and encodes as JSON.
type Snapshot struct {
	Taken time.Time      `json:"taken"`
	Wires []WireSnapshot `json:"wires"`
}

// WireSnapshot is one wire in a Snapshot.
type WireSnapshot struct {
	ID             uint64         `json:"id"`
	Label          string         `json:"label,omitempty"`
	Peer           string         `json:"peer,omitempty"`
	Age            time.Duration  `json:"age_ns"`
	BytesIn        int64          `json:"bytes_in"`
	BytesOut       int64          `json:"bytes_out"`
	PeerExtensions bool           `json:"peer_extensions"`
	Serving        []CallSnapshot `json:"serving"` // calls the peer made
	Calling        []CallSnapshot `json:"calling"` // calls this side made
	Ending         bool           `json:"ending,omitempty"`
}

// CallSnapshot is one open call in a WireSnapshot.
type CallSnapshot struct {
	Procedure procedures.Index `json:"procedure"`
	Call      uint64           `json:"call"`
	State     string           `json:"state"`
	Stream    bool             `json:"stream,omitempty"`
	Credit    int64            `json:"credit,omitempty"` // response credit the peer granted and the stream has not taken (a stream served)
	Window    int64            `json:"window,omitempty"` // the response window in bytes (a stream made: how far the peer may send ahead)
	// Age is how long ago the call began: its first message arrived (a
	// call being served), or it was started (a call made).
	Age time.Duration `json:"age_ns,omitempty"`
}

// String draws the snapshot as the interface's tree:
//
//	interface: 1 wire
//	└─ wire 1 (alice) 127.0.0.1:50123  age 2.1s  in 1.2 kB  out 640 B
//	   ├─ serving procedure 3 call 0  running  stream  age 1.5s
//	   └─ calling procedure 9 call 4  waiting  age 30ms
func (s Snapshot) String() string {
	var b strings.Builder
	plural := "s"
	if len(s.Wires) == 1 {
		plural = ""
	}
	fmt.Fprintf(&b, "interface: %d wire%s\n", len(s.Wires), plural)
	for k, w := range s.Wires {
		branch, stem := "├─ ", "│  "
		if k == len(s.Wires)-1 {
			branch, stem = "└─ ", "   "
		}
		w.draw(&b, branch, stem)
	}
	return b.String()
}

// draw writes the wire's line, after branch, and its calls' lines, each
// after stem.
func (w WireSnapshot) draw(b *strings.Builder, branch, stem string) {
	fmt.Fprintf(b, "%swire %d", branch, w.ID)
	if w.Label != "" {
		fmt.Fprintf(b, " (%s)", w.Label)
	}
	if w.Peer != "" {
		fmt.Fprintf(b, " %s", w.Peer)
	}
	if w.Ending {
		b.WriteString("  ending\n")
		return
	}
	fmt.Fprintf(b, "  age %v  in %d B  out %d B\n", w.Age.Round(time.Millisecond), w.BytesIn, w.BytesOut)
	n := len(w.Serving) + len(w.Calling)
	for j, c := range w.Serving {
		c.draw(b, stem, "serving", j == n-1)
	}
	for j, c := range w.Calling {
		c.draw(b, stem, "calling", len(w.Serving)+j == n-1)
	}
}

// draw writes the call's line after stem: what it is (serving or
// calling), and whether it is the wire's last.
func (c CallSnapshot) draw(b *strings.Builder, stem, what string, last bool) {
	cb := "├─ "
	if last {
		cb = "└─ "
	}
	fmt.Fprintf(b, "%s%s%s procedure %d call %d  %s", stem, cb, what, c.Procedure, c.Call, c.State)
	if c.Stream {
		b.WriteString("  stream")
		if c.Credit > 0 {
			fmt.Fprintf(b, " (credit %d B)", c.Credit)
		}
		if c.Window > 0 {
			fmt.Fprintf(b, " (window %d B)", c.Window)
		}
	}
	if c.Age > 0 {
		fmt.Fprintf(b, "  age %v", c.Age.Round(time.Millisecond))
	}
	b.WriteString("\n")
}

// Interface is what Handler and Expose show: an *ipfi.Interface.
type Interface interface {
	// Snapshot returns the interface's live view.
	Snapshot() Snapshot
	// Register makes a procedure callable by the interface's peers.
	Register(idx procedures.Index, p procedures.Procedure) error
}

// Handler serves i's live view over HTTP, like /debug/pprof: the tree as
// text, or JSON with ?format=json. Mount it where only operators reach it.
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
