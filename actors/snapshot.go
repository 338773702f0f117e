package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// WireState is what a wire's actor reports of itself (Conn.Snapshot).
type WireState struct {
	Started           time.Time
	BytesIn, BytesOut int64
	PeerExtensions    bool
	Inbound           []CallState // the calls the peer made that are open
	Outbound          []CallState // the calls this side made that are open
}

// CallState is one open call in a WireState.
type CallState struct {
	Procedure, Call uint64
	State           string    // an inState's name for an inbound call; "waiting" for an outbound one
	Stream          bool      // a stream's: a streaming procedure's (inbound), a call made with Open (outbound)
	Credit          int64     // response credit granted and not yet taken (an inbound stream with flow control)
	Window          int64     // the response window in bytes (an outbound stream)
	Arrived         time.Time // when the call's first message was read (inbound), or the call began (outbound)
}

// epoch is the origin of the wires' read stamps (Conn.readAt): a
// monotonic reading since it costs half of a time.Now.
var epoch = time.Now()

// snapshotMsg asks a wire actor for its state.
type snapshotMsg struct{ quiet }

// Snapshot asks the wire's actor for its state, without stopping it: the
// actor answers between two of its messages. It returns false if the wire
// has ended or does not answer within timeout.
func (w *Conn) Snapshot(timeout time.Duration) (WireState, bool) {
	if w.pid == nil || w.closing() {
		return WireState{}, false
	}
	res, err := w.sys.as.Root.RequestFuture(w.pid, &snapshotMsg{}, timeout).Result()
	if err != nil {
		return WireState{}, false
	}
	st, ok := res.(*WireState)
	if !ok {
		return WireState{}, false
	}
	return *st, true
}

// snapshot answers a snapshotMsg (wire actor).
func (a *wireActor) snapshot(ctx actor.Context) {
	w := a.w
	st := &WireState{
		Started:        w.started,
		BytesIn:        w.bytesIn.Load(),
		BytesOut:       w.out.bytesOut(),
		PeerExtensions: w.peerExt(),
	}
	for pid, r := range a.inPIDs {
		c := a.inbound[r.key]
		if c == nil || c.pid != pid {
			continue
		}
		cs := CallState{Procedure: r.key.proc, Call: r.key.call, State: c.loadState().String(), Stream: r.stream, Arrived: epoch.Add(time.Duration(r.arrived))}
		if c.resp != nil {
			cs.Credit = c.resp.credit.Load()
		}
		st.Inbound = append(st.Inbound, cs)
	}
	for k, r := range a.outbound {
		cs := CallState{Procedure: k.proc, Call: k.call, State: r.c.loadState().String(), Arrived: epoch.Add(time.Duration(r.c.started))}
		if r.c.q.stream() {
			r.c.mu.Lock()
			cs.Stream, cs.Window = true, r.c.q.win.Size()
			r.c.mu.Unlock()
		}
		st.Outbound = append(st.Outbound, cs)
	}
	ctx.Respond(st)
}
