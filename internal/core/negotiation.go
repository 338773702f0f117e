package core

import "github.com/ipfi-go/ipfi/wire"

// PeerState is what this side knows of the peer's extensions
// (wire/PROTOCOL.md, "Negotiation" and "Version 2"). A peer of this project
// writes its announcements before anything else, so its first bytes settle
// the state. It only moves forward.
type PeerState uint8

const (
	// PeerUnheard: nothing has been read. A call with metadata or a
	// deadline waits for the announcements before it is sent.
	PeerUnheard PeerState = iota
	// PeerAnnouncing: the version 1 announcement was read and version 2's
	// may follow; the extensions are on. Calls still wait.
	PeerAnnouncing
	// PeerPlain: the peer's first bytes held no announcement, or the wait
	// for one is over (a Rust peer never announces): base protocol only.
	PeerPlain
	// PeerV1: the peer speaks version 1 of the extensions (errors, cancel,
	// credit, ping).
	PeerV1
	// PeerV2: the peer speaks version 2 too (deadline, go-away, metadata).
	PeerV2
	// PeerGoingAway: a peer that speaks version 2 said it is shutting
	// down (go-away): new calls to it fail with FailShutdown.
	PeerGoingAway
)

func (s PeerState) String() string {
	switch s {
	case PeerUnheard:
		return "unheard"
	case PeerAnnouncing:
		return "announcing"
	case PeerPlain:
		return "plain"
	case PeerV1:
		return "v1"
	case PeerV2:
		return "v2"
	case PeerGoingAway:
		return "going-away"
	}
	return "PeerState(?)"
}

// Settled reports whether the peer's announcements are over.
func (s PeerState) Settled() bool { return s >= PeerPlain }

// Ext reports whether extension messages may be sent to a peer in this
// state.
func (s PeerState) Ext() bool { return s == PeerAnnouncing || s >= PeerV1 }

// V2 reports whether version 2's messages may be sent to a peer in this
// state.
func (s PeerState) V2() bool { return s >= PeerV2 }

// Negotiation is one side of the extensions' handshake: what this side
// announces, and what the peer did (PeerState). Its owner is whoever owns
// the decoder the peer's bytes go through.
type Negotiation struct {
	local int       // the version this side announces: 0 (Plain), 1 or 2
	state PeerState // what the peer announced
}

// NewNegotiation returns the handshake of a side that announces version
// (0 for none).
func NewNegotiation(version int) Negotiation { return Negotiation{local: version} }

// State returns what the peer announced so far.
func (n *Negotiation) State() PeerState { return n.state }

// Greeting appends this side's announcements: the first bytes it writes.
func (n *Negotiation) Greeting(dst []byte) []byte {
	if n.local >= 1 {
		dst = append(dst, byte(wire.KindAnnounce))
	}
	if n.local >= 2 {
		dst = append(dst, byte(wire.KindAnnounce2))
	}
	return dst
}

// Heard takes the kind of one frame from the peer, in order, and reports
// whether it was an announcement, which goes no further (the decoder
// parses the extensions' headers from the next byte on); every frame
// until the state is settled must be shown to it. A go-away from a peer
// that speaks version 2 moves it to PeerGoingAway (and goes on).
func (n *Negotiation) Heard(k wire.Kind, dec *wire.Decoder) bool {
	switch {
	case k == wire.KindAnnounce && n.local >= 1 && (n.state == PeerUnheard || n.state == PeerPlain):
		if n.state == PeerUnheard && n.local >= 2 {
			n.state = PeerAnnouncing // version 2's may follow
		} else {
			n.state = PeerV1
		}
		dec.SetExtensionVersion(1)
	case k == wire.KindAnnounce2 && n.local >= 2 && (n.state == PeerAnnouncing || n.state == PeerV1):
		n.state = PeerV2
		dec.SetExtensionVersion(2)
	case k == wire.KindAnnounce || k == wire.KindAnnounce2:
		// Repeated, out of order, or of a version this side does not speak.
	case k == wire.KindGoAway && n.state == PeerV2:
		n.state = PeerGoingAway
		return false
	default:
		n.Settle() // anything else ends the announcements
		return false
	}
	return true
}

// Settle ends the wait for the peer's announcements: the state is settled
// with what has arrived.
func (n *Negotiation) Settle() {
	switch n.state {
	case PeerUnheard:
		n.state = PeerPlain
	case PeerAnnouncing:
		n.state = PeerV1
	}
}

// ext reports whether extension messages may be sent to the peer.
func (n *Negotiation) ext() bool { return n.state.Ext() }

// v2 reports whether version 2's messages may be sent to the peer.
func (n *Negotiation) v2() bool { return n.state.V2() }
