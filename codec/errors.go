package codec

import "errors"

// ErrArgs is wrapped by every error of DecodeArgs: the payload holds fewer
// values than wanted, a value does not decode into its target, or bytes remain
// after the last value.
var ErrArgs = errors.New("codec: bad arguments")

// ErrIncomplete is returned by ValueLen when its input holds only the start
// of a MessagePack value.
var ErrIncomplete = errors.New("codec: incomplete value")
