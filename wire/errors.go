package wire

import (
	"errors"
	"fmt"
)

// Errors returned by Decoder.Feed. Both are protocol errors: the peer sent
// bytes that are not ipfiBuF, and the wire cannot be read any further.
// Feed wraps them with the details; compare with errors.Is.
var (
	// ErrMalformed reports input that is not a valid message: invalid
	// terminator bits, or a Call with terminator None and an empty payload.
	ErrMalformed = errors.New("wire: malformed frame")
	// ErrFrameTooLarge reports a frame whose declared payload length exceeds
	// the decoder's limit. errors.Is(err, ErrMalformed) is true for it too.
	ErrFrameTooLarge = fmt.Errorf("%w: frame too large", ErrMalformed)
)
