package wire

import "fmt"

// Kind is a message's type byte, the first byte of every message on a wire.
//
// Values other than the four below are not errors at this layer: the
// Decoder emits them as bodiless frames and the layer above decides what
// they mean (a Rust peer skips them; this project uses them to negotiate
// extensions).
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

// String returns "termination", "call", "response", "end-of-input" or
// "unknown(0x..)" for any other type byte.
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
	}
	return fmt.Sprintf("unknown(0x%02x)", byte(k))
}

// HasHeader reports whether messages of kind k carry a multiflag, indices,
// a length and a payload (Call and Response do; every other kind is a
// single byte at this layer).
func (k Kind) HasHeader() bool { return k == KindCall || k == KindResponse }

// Terminator is the terminator carried in bits 6-7 of a Call or Response
// multiflag. Its numeric values are this package's, not the wire's: see
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
// Kind.HasHeader) only Kind is set.
type Frame struct {
	// Kind is the message's type byte.
	Kind Kind
	// Terminator says what the payload ends (Call and Response only).
	Terminator Terminator
	// Procedure is the procedure index (Call and Response only).
	Procedure uint64
	// Call is the call index, numbered per procedure by the caller (Call
	// and Response only).
	Call uint64
	// Payload is the message's body (Call and Response only). A decoded
	// frame's Payload is nil when empty and is only valid during the emit
	// call that delivers it.
	Payload []byte
}

// MaxHeaderLen is the longest possible Call or Response header: type byte,
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
