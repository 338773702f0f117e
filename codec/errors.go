package codec

import (
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
)

var (
	// ErrArgs is wrapped by every error of DecodeArgs: the payload holds
	// fewer values than wanted, a value does not decode into its target, or
	// bytes remain after the last value.
	ErrArgs = errors.New("codec: bad arguments")
	// ErrIncomplete is returned by ValueLen when its input holds only the
	// start of a MessagePack value.
	ErrIncomplete = errors.New("codec: incomplete value")
	// ErrEncode is matched by every error of Append, Marshal and
	// AppendArgs: a value of a type MessagePack cannot hold (a channel, a
	// function, a complex number), or whose own encoder failed. The error
	// names the type.
	ErrEncode = errors.New("codec: cannot encode")

	// errShort is what the package's own readers return when the input ends
	// in the middle of a value: io.ErrUnexpectedEOF, which every decoding
	// function reports for truncated input (see shortError).
	errShort = io.ErrUnexpectedEOF
)

// The errors of this package say the package once, at the outside: the
// errors its readers, its walks and msgpack/v5 return have no prefix (or
// lose msgpack/v5's), and the exported function that returns one to its
// caller wraps it in prefixed. Their texts are built on failures only.

// prefixed is an error of this package as its caller sees it: "codec: "
// and the error it wraps.
type prefixed struct{ err error }

func (e prefixed) Error() string { return "codec: " + e.err.Error() }
func (e prefixed) Unwrap() error { return e.err }

// msgpackError is an error of msgpack/v5 that no walk of this package
// explained: its text without msgpack/v5's prefix.
type msgpackError struct{ err error }

func (e msgpackError) Error() string { return strings.TrimPrefix(e.err.Error(), "msgpack: ") }
func (e msgpackError) Unwrap() error { return e.err }

// encodeError is a value msgpack/v5 could not encode: what says its type
// (and the type inside it that cannot be encoded, or the reason its own
// encoder gave).
type encodeError struct {
	what string
	err  error
}

func (e *encodeError) Error() string { return "cannot encode " + e.what }

// Is matches ErrEncode.
func (e *encodeError) Is(target error) bool { return target == ErrEncode }

// Unwrap returns msgpack/v5's error.
func (e *encodeError) Unwrap() error { return e.err }

// cannotEncode describes msgpack/v5's failure to encode v, named by its
// type (a pointer's by what it points to, which is what is encoded).
func cannotEncode(v any, err error) error {
	name := "nil"
	if t := reflect.TypeOf(v); t != nil {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		name = t.String()
	}
	msg := strings.TrimPrefix(err.Error(), "msgpack: ")
	inner, ok := strings.CutPrefix(msg, "Encode(unsupported ")
	switch {
	case !ok || !strings.HasSuffix(inner, ")"):
		return &encodeError{what: name + ": " + msg, err: err}
	case strings.TrimSuffix(inner, ")") == name:
		return &encodeError{what: name, err: err}
	}
	return &encodeError{what: name + ", which holds a " + strings.TrimSuffix(inner, ")"), err: err}
}

// argError is the failure of argument i (from 0) of n.
type argError struct {
	i, n int
	err  error
}

func (e *argError) Error() string {
	return "argument " + strconv.Itoa(e.i+1) + " of " + strconv.Itoa(e.n) + ": " + e.err.Error()
}

func (e *argError) Unwrap() error { return e.err }
