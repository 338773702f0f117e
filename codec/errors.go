package codec

import (
	"errors"
	"io"
)

var (
	// ErrArgs is wrapped by every error of DecodeArgs: the payload holds
	// fewer values than wanted, a value does not decode into its target, or
	// bytes remain after the last value.
	ErrArgs = errors.New("codec: bad arguments")
	// ErrIncomplete is returned by ValueLen when its input holds only the
	// start of a MessagePack value.
	ErrIncomplete = errors.New("codec: incomplete value")

	// errShort is what the package's own readers return when the input ends
	// in the middle of a value: io.ErrUnexpectedEOF, which every decoding
	// function reports for truncated input (see shortError).
	errShort = io.ErrUnexpectedEOF
)
