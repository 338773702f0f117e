package ipfidebug

import (
	"encoding/json"
	"time"

	"github.com/ipfi-go/ipfi/procedures"
)

// Snapshot is a live view of an interface (what ipfi's
// Interface.Snapshot returns): its wires and the calls open on them, as
// their actors report them (each answers between two of its messages:
// nothing is stopped). It prints as a tree (String) and encodes as JSON,
// its lists as [] when they are empty.
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

// MarshalJSON encodes s with its fields' tags, its wires as [] when it has
// none.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	type fields Snapshot // s's fields and tags, without this method
	if s.Wires == nil {
		s.Wires = []WireSnapshot{}
	}
	return json.Marshal(fields(s))
}

// MarshalJSON encodes w with its fields' tags, its serving and calling
// lists as [] when they are empty.
func (w WireSnapshot) MarshalJSON() ([]byte, error) {
	type fields WireSnapshot // w's fields and tags, without this method
	if w.Serving == nil {
		w.Serving = []CallSnapshot{}
	}
	if w.Calling == nil {
		w.Calling = []CallSnapshot{}
	}
	return json.Marshal(fields(w))
}
