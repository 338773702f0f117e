package ipfi

import (
	"time"

	"github.com/ipfi-go/ipfi/ipfidebug"
	"github.com/ipfi-go/ipfi/procedures"
)

// snapshotWait bounds how long Snapshot waits for one wire's actor.
const snapshotWait = time.Second

// Snapshot returns a live view of the interface's wires and calls. A wire
// whose actor does not answer within a second (busy, or ending) is listed
// without its calls, marked Ending. Package ipfidebug prints it, serves it
// over HTTP and exposes it to peers.
func (i *Interface) Snapshot() ipfidebug.Snapshot {
	now := time.Now()
	s := ipfidebug.Snapshot{Taken: now}
	for _, w := range i.wiresUp() {
		ws := ipfidebug.WireSnapshot{ID: w.id, Label: w.Label()}
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
			ws.Serving = append(ws.Serving, ipfidebug.CallSnapshot{
				Procedure: procedures.Index(c.Procedure), Call: c.Call, State: c.State,
				Stream: c.Stream, Credit: c.Credit, Age: max(now.Sub(c.Arrived), 0),
			})
		}
		for _, c := range st.Outbound {
			ws.Calling = append(ws.Calling, ipfidebug.CallSnapshot{
				Procedure: procedures.Index(c.Procedure), Call: c.Call, State: c.State,
				Stream: c.Stream, Window: c.Window, Age: max(now.Sub(c.Arrived), 0),
			})
		}
		s.Wires = append(s.Wires, ws)
	}
	return s
}
