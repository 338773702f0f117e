package wire

import (
	"errors"
	"fmt"
)

// Protocol errors: the peer sent bytes that are not ipfiBuF. Decoder.Feed
// and FeedRuns wrap them with the details, and a decoder that returned one
// reads no further; ParseCredit and ParseError wrap ErrMalformed for a
// malformed extension body. Compare with errors.Is.
var (
	// ErrMalformed reports input that is not a valid message: invalid
	// terminator bits, a Call with terminator None and an empty payload, or
	// (from ParseCredit and ParseError) an extension body that does not
	// hold what its kind requires.
	ErrMalformed = errors.New("wire: malformed frame")
	// ErrFrameTooLarge reports a frame whose declared payload length exceeds
	// the decoder's limit. errors.Is(err, ErrMalformed) is true for it too.
	ErrFrameTooLarge = fmt.Errorf("%w: frame too large", ErrMalformed)
)
