package ipfi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ipfi-go/ipfi/procedures"
)

// Snapshot is a live view of an interface: its wires and the calls open on
// them, as their actors report them (each answers between two of its
// messages: nothing is stopped). It prints as a tree (String) and encodes
// as JSON.
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

// snapshotWait bounds how long Snapshot waits for one wire's actor.
const snapshotWait = time.Second

// Snapshot returns a live view of the interface's wires and calls. A wire
// whose actor does not answer within a second (busy, or ending) is listed
// without its calls, marked Ending.
func (i *Interface) Snapshot() Snapshot {
	now := time.Now()
	s := Snapshot{Taken: now}
	for _, w := range i.Wires() {
		ws := WireSnapshot{ID: w.id, Label: w.Label()}
		if w.remote != nil {
			ws.Peer = w.remote.String()
		}
		st, ok := w.w.Snapshot(snapshotWait)
		if !ok {
			ws.Ending = true
			s.Wires = append(s.Wires, ws)
			continue
		}
		ws.Age = now.Sub(st.Started)
		ws.BytesIn, ws.BytesOut, ws.PeerExtensions = st.BytesIn, st.BytesOut, st.PeerExtensions
		for _, c := range st.Inbound {
			ws.Serving = append(ws.Serving, CallSnapshot{
				Procedure: procedures.Index(c.Procedure), Call: c.Call, State: c.State,
				Stream: c.Stream, Credit: c.Credit, Age: max(now.Sub(c.Arrived), 0),
			})
		}
		for _, c := range st.Outbound {
			ws.Calling = append(ws.Calling, CallSnapshot{
				Procedure: procedures.Index(c.Procedure), Call: c.Call, State: c.State,
				Stream: c.Stream, Window: c.Window, Age: max(now.Sub(c.Arrived), 0),
			})
		}
		s.Wires = append(s.Wires, ws)
	}
	return s
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
		fmt.Fprintf(&b, "%swire %d", branch, w.ID)
		if w.Label != "" {
			fmt.Fprintf(&b, " (%s)", w.Label)
		}
		if w.Peer != "" {
			fmt.Fprintf(&b, " %s", w.Peer)
		}
		if w.Ending {
			b.WriteString("  ending\n")
			continue
		}
		fmt.Fprintf(&b, "  age %v  in %d B  out %d B\n", w.Age.Round(time.Millisecond), w.BytesIn, w.BytesOut)
		type line struct {
			what string
			c    CallSnapshot
		}
		var calls []line
		for _, c := range w.Serving {
			calls = append(calls, line{"serving", c})
		}
		for _, c := range w.Calling {
			calls = append(calls, line{"calling", c})
		}
		for j, l := range calls {
			cb := "├─ "
			if j == len(calls)-1 {
				cb = "└─ "
			}
			fmt.Fprintf(&b, "%s%s%s procedure %d call %d  %s", stem, cb, l.what, l.c.Procedure, l.c.Call, l.c.State)
			if l.c.Stream {
				b.WriteString("  stream")
				if l.c.Credit > 0 {
					fmt.Fprintf(&b, " (credit %d B)", l.c.Credit)
				}
				if l.c.Window > 0 {
					fmt.Fprintf(&b, " (window %d B)", l.c.Window)
				}
			}
			if l.c.Age > 0 {
				fmt.Fprintf(&b, "  age %v", l.c.Age.Round(time.Millisecond))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// DebugHandler serves the interface's live view over HTTP, like
// /debug/pprof: the tree as text, or JSON with ?format=json. Mount it where
// only operators reach it.
func (i *Interface) DebugHandler() http.Handler {
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
// live view (ExposeSnapshot), and which `ipfi tree` calls by default.
const SnapshotIndex procedures.Index = 65535

// ExposeSnapshot registers at index idx a procedure that answers the
// interface's Snapshot as JSON (one MessagePack string), so that a peer
// sees the live view over a wire: `ipfi tree ADDR` prints it as a tree.
// Like DebugHandler it shows every wire's peer address and the calls open
// on it: expose it only to peers that may see that.
func (i *Interface) ExposeSnapshot(idx procedures.Index) error {
	return i.Register(idx, procedures.Func0(func(context.Context) (string, error) {
		b, err := json.Marshal(i.Snapshot())
		return string(b), err
	}))
}
