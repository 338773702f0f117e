package wire

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// InitialCredit is the implicit flow-control window of each call, per
// direction: the payload bytes a producer may send (arguments for a caller,
// responses for a callee) before the consumer grants any credit with
// KindArgumentCredit or KindResponseCredit. See PROTOCOL.md, "Extensions
// (version 1)".
const InitialCredit = 64 << 10

// MaxErrorMessage is the longest message, in bytes, that AppendError writes;
// a longer one is truncated at a UTF-8 boundary.
const MaxErrorMessage = 1024

// ErrorCode is the reason carried by a KindError message.
type ErrorCode uint64

// Error codes of KindError messages (wire format).
const (
	// CodeUnknownProcedure: the callee has no procedure of that index.
	CodeUnknownProcedure ErrorCode = 1
	// CodeBadArguments: the arguments did not decode into the procedure's
	// parameters.
	CodeBadArguments ErrorCode = 2
	// CodeProcedure: the procedure returned an error.
	CodeProcedure ErrorCode = 3
	// CodePanic: the procedure panicked.
	CodePanic ErrorCode = 4
	// CodeLimit: the call went over a limit (frame, arguments, open calls).
	CodeLimit ErrorCode = 5
	// CodeCancelled: the call was cancelled (by a Cancel message or the
	// callee).
	CodeCancelled ErrorCode = 6
	// CodeDeadline: a deadline passed.
	CodeDeadline ErrorCode = 7
)

// String returns "unknown procedure", "bad arguments", "procedure error",
// "panic", "limit exceeded", "cancelled", "deadline exceeded" or "code(N)"
// for any other code.
func (c ErrorCode) String() string {
	switch c {
	case CodeUnknownProcedure:
		return "unknown procedure"
	case CodeBadArguments:
		return "bad arguments"
	case CodeProcedure:
		return "procedure error"
	case CodePanic:
		return "panic"
	case CodeLimit:
		return "limit exceeded"
	case CodeCancelled:
		return "cancelled"
	case CodeDeadline:
		return "deadline exceeded"
	}
	return fmt.Sprintf("code(%d)", uint64(c))
}

// AppendCredit appends a credit message of kind k (KindResponseCredit or
// KindArgumentCredit) for the call (procedure, call) granting amount more
// payload bytes: the payload is amount as an unsigned LEB128 varint. It
// panics if k is another kind.
func AppendCredit(dst []byte, k Kind, procedure, call, amount uint64) []byte {
	if k != KindResponseCredit && k != KindArgumentCredit {
		panic("wire: AppendCredit with kind " + k.String())
	}
	dst = AppendHeader(dst, k, TermComplete, procedure, call, uvarintLen(amount))
	return binary.AppendUvarint(dst, amount)
}

// ParseCredit returns the amount a KindResponseCredit or KindArgumentCredit
// frame grants. The error wraps ErrMalformed if the payload is not exactly
// one unsigned varint; ParseCredit of another kind is an error too.
func ParseCredit(f Frame) (uint64, error) {
	if f.Kind != KindResponseCredit && f.Kind != KindArgumentCredit {
		return 0, fmt.Errorf("wire: ParseCredit of a %s frame", f.Kind)
	}
	v, n := binary.Uvarint(f.Payload)
	if n <= 0 || n != len(f.Payload) {
		return 0, fmt.Errorf("%w: %s payload %x is not one unsigned varint (procedure %d, call %d)",
			ErrMalformed, f.Kind, f.Payload, f.Procedure, f.Call)
	}
	return v, nil
}

// AppendError appends a KindError message ending the call (procedure,
// call): the payload is code as an unsigned varint, then msg's bytes, msg
// truncated to MaxErrorMessage bytes at a UTF-8 boundary.
func AppendError(dst []byte, procedure, call uint64, code ErrorCode, msg string) []byte {
	if len(msg) > MaxErrorMessage {
		i := MaxErrorMessage
		for i > 0 && !utf8.RuneStart(msg[i]) {
			i--
		}
		msg = msg[:i]
	}
	dst = AppendHeader(dst, KindError, TermComplete, procedure, call, uvarintLen(uint64(code))+len(msg))
	dst = binary.AppendUvarint(dst, uint64(code))
	return append(dst, msg...)
}

// ParseError returns the code and message of a KindError frame. The error
// wraps ErrMalformed if the payload does not start with an unsigned varint;
// ParseError of another kind is an error too. The message is returned as
// sent, not checked for UTF-8.
func ParseError(f Frame) (ErrorCode, string, error) {
	if f.Kind != KindError {
		return 0, "", fmt.Errorf("wire: ParseError of a %s frame", f.Kind)
	}
	v, n := binary.Uvarint(f.Payload)
	if n <= 0 {
		return 0, "", fmt.Errorf("%w: error payload %x does not start with an unsigned varint (procedure %d, call %d)",
			ErrMalformed, f.Payload, f.Procedure, f.Call)
	}
	return ErrorCode(v), string(f.Payload[n:]), nil
}

// AppendCancel appends a KindCancel message for the call (procedure, call),
// with an empty payload.
func AppendCancel(dst []byte, procedure, call uint64) []byte {
	return AppendHeader(dst, KindCancel, TermComplete, procedure, call, 0)
}

// AppendPing appends a message of kind k (KindPing or KindPong) with
// procedure 0, the nonce as the call index and an empty payload. It panics
// if k is another kind.
func AppendPing(dst []byte, k Kind, nonce uint64) []byte {
	if k != KindPing && k != KindPong {
		panic("wire: AppendPing with kind " + k.String())
	}
	return AppendHeader(dst, k, TermComplete, 0, nonce, 0)
}

// uvarintLen returns len(binary.AppendUvarint(nil, v)).
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
