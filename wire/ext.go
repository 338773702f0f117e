package wire

import (
	"encoding/binary"
	"errors"
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
	// CodeApplication: the procedure returned an application error, with
	// a code of the application's own, a message and optional details
	// (see AppendApplicationError).
	CodeApplication ErrorCode = 8
	// CodeShutdown: the callee is shutting down and refused the call
	// without running it (it may be made again elsewhere).
	CodeShutdown ErrorCode = 9
)

// MaxErrorDetails is the most bytes of details AppendApplicationError
// writes: larger details are left out (details are MessagePack by
// convention, which a cut would break).
const MaxErrorDetails = 16 << 10

// String returns "unknown procedure", "bad arguments", "procedure error",
// "panic", "limit exceeded", "cancelled", "deadline exceeded",
// "application error", "shutting down", or "code(N)" for any other code.
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
	case CodeApplication:
		return "application error"
	case CodeShutdown:
		return "shutting down"
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
	return oneUvarint(f)
}

// oneUvarint returns the unsigned varint that is f's whole payload.
func oneUvarint(f Frame) (uint64, error) {
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
	msg = truncate(msg)
	dst = AppendHeader(dst, KindError, TermComplete, procedure, call, uvarintLen(uint64(code))+len(msg))
	dst = binary.AppendUvarint(dst, uint64(code))
	return append(dst, msg...)
}

// truncate cuts msg to MaxErrorMessage bytes at a UTF-8 boundary.
func truncate(msg string) string {
	if len(msg) > MaxErrorMessage {
		i := MaxErrorMessage
		for i > 0 && !utf8.RuneStart(msg[i]) {
			i--
		}
		msg = msg[:i]
	}
	return msg
}

// AppendApplicationError appends a KindError message with code
// CodeApplication ending the call (procedure, call): the payload is the
// code 8 as an unsigned varint, then app (the application's code) as an
// unsigned varint, then the length of msg as an unsigned varint and msg's
// bytes (truncated as by AppendError), then details (the rest of the
// payload; left out if longer than MaxErrorDetails).
func AppendApplicationError(dst []byte, procedure, call, app uint64, msg string, details []byte) []byte {
	msg = truncate(msg)
	if len(details) > MaxErrorDetails {
		details = nil
	}
	n := uvarintLen(uint64(CodeApplication)) + uvarintLen(app) + uvarintLen(uint64(len(msg))) + len(msg) + len(details)
	dst = AppendHeader(dst, KindError, TermComplete, procedure, call, n)
	dst = binary.AppendUvarint(dst, uint64(CodeApplication))
	dst = binary.AppendUvarint(dst, app)
	dst = binary.AppendUvarint(dst, uint64(len(msg)))
	dst = append(dst, msg...)
	return append(dst, details...)
}

// ErrorBody is what a KindError message says: its code and message, and
// for CodeApplication the application's code and the details.
type ErrorBody struct {
	Code    ErrorCode
	Message string
	App     uint64 // CodeApplication only
	Details []byte // CodeApplication only; aliases the frame's payload
}

// ParseErrorBody returns what a KindError frame says. The error wraps
// ErrMalformed if the payload does not start with an unsigned varint, or
// if a CodeApplication payload does not hold its application code and its
// message's length and bytes; ParseErrorBody of another kind is an error
// too. The message is returned as sent, not checked for UTF-8.
func ParseErrorBody(f Frame) (ErrorBody, error) {
	if f.Kind != KindError {
		return ErrorBody{}, fmt.Errorf("wire: ParseError of a %s frame", f.Kind)
	}
	bad := func(what string) error {
		return fmt.Errorf("%w: error payload %x %s (procedure %d, call %d)",
			ErrMalformed, f.Payload, what, f.Procedure, f.Call)
	}
	p := f.Payload
	v, n := binary.Uvarint(p)
	if n <= 0 {
		return ErrorBody{}, bad("does not start with an unsigned varint")
	}
	b := ErrorBody{Code: ErrorCode(v)}
	p = p[n:]
	if b.Code != CodeApplication {
		b.Message = string(p)
		return b, nil
	}
	if b.App, n = binary.Uvarint(p); n <= 0 {
		return ErrorBody{}, bad("has no application code")
	}
	p = p[n:]
	l, n := binary.Uvarint(p)
	if n <= 0 || l > uint64(len(p)-n) {
		return ErrorBody{}, bad("has no message length, or a length past its end")
	}
	p = p[n:]
	b.Message = string(p[:l])
	if rest := p[l:]; len(rest) > 0 {
		b.Details = rest
	}
	return b, nil
}

// ParseError returns the code and message of a KindError frame (see
// ParseErrorBody, which also returns an application error's code and
// details).
func ParseError(f Frame) (ErrorCode, string, error) {
	b, err := ParseErrorBody(f)
	return b.Code, b.Message, err
}

// AppendDeadline appends a KindDeadline message for the call (procedure,
// call): the payload is ms, the milliseconds left before the call's
// deadline, as an unsigned varint. A caller writes it right before the
// call's first Call message (version 2).
func AppendDeadline(dst []byte, procedure, call, ms uint64) []byte {
	dst = AppendHeader(dst, KindDeadline, TermComplete, procedure, call, uvarintLen(ms))
	return binary.AppendUvarint(dst, ms)
}

// ParseDeadline returns the milliseconds a KindDeadline frame gives. The
// error wraps ErrMalformed if the payload is not exactly one unsigned
// varint; ParseDeadline of another kind is an error too.
func ParseDeadline(f Frame) (uint64, error) {
	if f.Kind != KindDeadline {
		return 0, fmt.Errorf("wire: ParseDeadline of a %s frame", f.Kind)
	}
	return oneUvarint(f)
}

// Metadata limits: a writer sends, and a reader accepts, at most
// MaxMetadataEntries pairs in at most MaxMetadataBytes of payload.
const (
	MaxMetadataEntries = 64
	MaxMetadataBytes   = 8 << 10
)

// ErrMetadataTooLarge is returned by AppendMetadata and ParseMetadata for
// metadata over MaxMetadataEntries or MaxMetadataBytes.
var ErrMetadataTooLarge = errors.New("wire: metadata over its limits")

// AppendMetadata appends a KindMetadata message for the call (procedure,
// call): the payload is the number of pairs as an unsigned varint, then
// each key and value as an unsigned varint length and its bytes. kv holds
// the keys and values in turn (an even count). Over MaxMetadataEntries
// pairs or MaxMetadataBytes of payload it returns dst unchanged and
// ErrMetadataTooLarge.
func AppendMetadata(dst []byte, procedure, call uint64, kv []string) ([]byte, error) {
	if len(kv)%2 != 0 {
		return dst, errors.New("wire: AppendMetadata with an odd number of keys and values")
	}
	n := uvarintLen(uint64(len(kv) / 2))
	for _, s := range kv {
		n += uvarintLen(uint64(len(s))) + len(s)
	}
	if len(kv)/2 > MaxMetadataEntries || n > MaxMetadataBytes {
		return dst, ErrMetadataTooLarge
	}
	dst = AppendHeader(dst, KindMetadata, TermComplete, procedure, call, n)
	dst = binary.AppendUvarint(dst, uint64(len(kv)/2))
	for _, s := range kv {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return dst, nil
}

// ParseMetadata returns the keys and values of a KindMetadata frame, in
// turn. The error wraps ErrMalformed if the payload does not hold the
// pairs it counts, exactly, and is ErrMetadataTooLarge over the limits;
// ParseMetadata of another kind is an error too.
func ParseMetadata(f Frame) ([]string, error) {
	if f.Kind != KindMetadata {
		return nil, fmt.Errorf("wire: ParseMetadata of a %s frame", f.Kind)
	}
	p := f.Payload
	if len(p) > MaxMetadataBytes {
		return nil, ErrMetadataTooLarge
	}
	bad := fmt.Errorf("%w: metadata payload %x does not hold the pairs it counts (procedure %d, call %d)",
		ErrMalformed, p, f.Procedure, f.Call)
	count, n := binary.Uvarint(p)
	if n <= 0 {
		return nil, bad
	}
	if count > MaxMetadataEntries {
		return nil, ErrMetadataTooLarge
	}
	p = p[n:]
	kv := make([]string, 0, 2*count)
	for range 2 * count {
		l, n := binary.Uvarint(p)
		if n <= 0 || l > uint64(len(p)-n) {
			return nil, bad
		}
		kv = append(kv, string(p[n:n+int(l)]))
		p = p[n+int(l):]
	}
	if len(p) != 0 {
		return nil, bad
	}
	return kv, nil
}

// AppendGoAway appends a KindGoAway message: procedure 0, call 0, an empty
// payload (version 2).
func AppendGoAway(dst []byte) []byte {
	return AppendHeader(dst, KindGoAway, TermComplete, 0, 0, 0)
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
