package wire

import "fmt"

// Kind is a message's type byte, the first byte of every message on a wire.
//
// Values other than the ones below are not errors at this layer: the
// Decoder emits them as bodiless frames and the layer above decides what
// they mean (a Rust peer skips them). The extension kinds 0xF0..0xF9 are
// this project's negotiated extensions (PROTOCOL.md, "Extensions"): a
// Decoder parses the header of 0xF1..0xF6 only once SetExtensions has
// turned version 1 on, of 0xF7..0xF8 once SetExtensionVersion has turned
// version 2 on, and emits them as bodiless unknown frames otherwise.
type Kind byte

const (
	// KindTermination is "over and out": the sender is going away. No body.
	KindTermination Kind = 0
	// KindCall calls a procedure of the receiver: header + payload.
	KindCall Kind = 1
	// KindResponse carries (part of) a procedure's result: header + payload.
	KindResponse Kind = 2
	// KindEndOfInput is "over": the sender has written everything it has
	// for now. Not a termination. No body.
	KindEndOfInput Kind = 3
)

// Extension kinds (PROTOCOL.md, "Extensions (version 1)"): type bytes the
// Rust crate never uses, so a Rust peer skips each as a single unknown byte.
// All but KindAnnounce carry the Call/Response header and a payload; they
// are only ever sent to a peer whose KindAnnounce has arrived.
const (
	// KindAnnounce is bodiless: "I speak this project's extensions,
	// version 1". Written first on every wire.
	KindAnnounce Kind = 0xF0
	// KindError (callee to caller) ends a call with an error: header +
	// payload (see AppendError).
	KindError Kind = 0xF1
	// KindCancel (caller to callee) cancels an open call: header, empty
	// payload (see AppendCancel).
	KindCancel Kind = 0xF2
	// KindResponseCredit (caller to callee): the callee may send this many
	// more response payload bytes for the call. Header + payload (see
	// AppendCredit).
	KindResponseCredit Kind = 0xF3
	// KindArgumentCredit (callee to caller): the caller may send this many
	// more argument payload bytes for the call. Header + payload (see
	// AppendCredit).
	KindArgumentCredit Kind = 0xF4
	// KindPing (either side): header with procedure 0, the nonce as the
	// call index, empty payload (see AppendPing).
	KindPing Kind = 0xF5
	// KindPong answers a KindPing with the same nonce in the call field,
	// empty payload.
	KindPong Kind = 0xF6
)

// Extension kinds of version 2 (PROTOCOL.md, "Version 2"), only ever sent
// to a peer whose KindAnnounce2 has arrived.
const (
	// KindDeadline (caller to callee), written right before the first
	// Call message of a call: the call's deadline, as the milliseconds
	// left. Header + payload (see AppendDeadline).
	KindDeadline Kind = 0xF7
	// KindGoAway (either side): the sender takes no new calls on this
	// wire; calls already made are answered. Header with procedure 0 and
	// call 0, empty payload (see AppendGoAway).
	KindGoAway Kind = 0xF8
	// KindAnnounce2 is bodiless: "I speak version 2 of the extensions".
	// Written right after KindAnnounce.
	KindAnnounce2 Kind = 0xF9
	// KindMetadata (caller to callee), written right before the first
	// Call message of a call (after its KindDeadline, if any): the call's
	// metadata, string keys and values. Header + payload (see
	// AppendMetadata).
	KindMetadata Kind = 0xFA
)

// String returns "termination", "call", "response", "end-of-input", the
// extension kinds' names ("announce", "error", "cancel", "response-credit",
// "argument-credit", "ping", "pong") or "unknown(0x..)" for any other type
// byte.
func (k Kind) String() string {
	switch k {
	case KindTermination:
		return "termination"
	case KindCall:
		return "call"
	case KindResponse:
		return "response"
	case KindEndOfInput:
		return "end-of-input"
	case KindAnnounce:
		return "announce"
	case KindError:
		return "error"
	case KindCancel:
		return "cancel"
	case KindResponseCredit:
		return "response-credit"
	case KindArgumentCredit:
		return "argument-credit"
	case KindPing:
		return "ping"
	case KindPong:
		return "pong"
	case KindDeadline:
		return "deadline"
	case KindGoAway:
		return "go-away"
	case KindAnnounce2:
		return "announce-2"
	case KindMetadata:
		return "metadata"
	}
	return fmt.Sprintf("unknown(0x%02x)", byte(k))
}

// HasHeader reports whether messages of kind k carry a multiflag, indices,
// a length and a payload in the base format: Call and Response do; every
// other kind is a single byte to a peer that has not announced the
// extensions (extension kinds other than KindAnnounce carry the same header
// once announced: see IsExtension and Decoder.SetExtensions).
func (k Kind) HasHeader() bool { return k == KindCall || k == KindResponse }

// IsExtension reports whether k is one of this project's extension kinds,
// KindAnnounce through KindMetadata (0xF0..0xFA).
func (k Kind) IsExtension() bool { return k >= KindAnnounce && k <= KindMetadata }

// extVersion is the version of the extensions that gives kind k its
// header, or 0 for a kind without one (KindAnnounce, KindAnnounce2, and
// every other kind).
func (k Kind) extVersion() int {
	switch {
	case k >= KindError && k <= KindPong:
		return 1
	case k == KindDeadline || k == KindGoAway || k == KindMetadata:
		return 2
	}
	return 0
}

// hasExtHeader reports whether k is an extension kind that carries the
// Call/Response header (every extension kind but the announcements).
func (k Kind) hasExtHeader() bool { return k.extVersion() > 0 }

// encodesHeader reports whether AppendFrame writes a header for kind k: the
// base Call and Response, and the extension kinds that carry one.
func (k Kind) encodesHeader() bool { return k.HasHeader() || k.hasExtHeader() }

// Terminator is the terminator carried in bits 6-7 of a Call, Response or
// extension header's multiflag. Its numeric values are this package's, not the wire's: see
// the multiflag constants in PROTOCOL.md.
type Terminator uint8

const (
	// TermNone appends the payload to the current chunk (bits 6,7 = 0,0).
	TermNone Terminator = iota
	// TermChunk ends the current chunk (bit 6 set, bit 7 clear: 0x40).
	TermChunk
	// TermComplete ends the current chunk and the whole call or response
	// (bits 6 and 7 set: 0xc0).
	TermComplete
)

// String returns "none", "chunk", "complete" or "unknown(N)".
func (t Terminator) String() string {
	switch t {
	case TermNone:
		return "none"
	case TermChunk:
		return "chunk"
	case TermComplete:
		return "complete"
	}
	return fmt.Sprintf("unknown(%d)", uint8(t))
}

// Frame is one decoded message. For kinds without a header (see
// Kind.HasHeader; extension kinds have one only when the decoder's
// extensions are on) only Kind is set.
type Frame struct {
	// Kind is the message's type byte.
	Kind Kind
	// Terminator says what the payload ends (kinds with a header only).
	Terminator Terminator
	// Procedure is the procedure index (kinds with a header only).
	Procedure uint64
	// Call is the call index, numbered per procedure by the caller (kinds
	// with a header only; a ping's or pong's nonce).
	Call uint64
	// Payload is the message's body (kinds with a header only). A decoded
	// frame's Payload is nil when empty and is only valid during the emit
	// call that delivers it.
	Payload []byte
}

// MaxHeaderLen is the longest possible Call, Response or extension header: type byte,
// multiflag and three 8-byte integers (1 + 1 + 8 + 8 + 8 = 26).
const MaxHeaderLen = 26

// Multiflag layout (PROTOCOL.md, "Multiflag"). Each integer's width is a
// 2-bit field read as lowbit + 2*highbit.
const (
	widthU8  = 0 // (0,0)
	widthU32 = 1 // (1,0)
	widthU16 = 2 // (0,1)
	widthU64 = 3 // (1,1)

	shiftProcedure = 0
	shiftCall      = 2
	shiftLength    = 4

	termMask         = 0xc0 // bits 6-7
	termBitsNone     = 0x00
	termBitsChunk    = 0x40 // bit 6
	termBitsComplete = 0xc0 // bits 6 and 7
	termBitsInvalid  = 0x80 // bit 7 alone: rejected
)

// widthBytes maps a 2-bit width field to its size in bytes.
var widthBytes = [4]int{widthU8: 1, widthU32: 4, widthU16: 2, widthU64: 8}
