package core

import (
	"errors"

	"github.com/ipfi-go/ipfi/wire"
)

// MaxDeadlineMs bounds the milliseconds a KindDeadline gives (a year), so
// that a duration made of it does not overflow.
const MaxDeadlineMs = 365 * 24 * 3600 * 1000

// extras is the deadline and metadata the peer sent for its next call
// (wire/PROTOCOL.md, "Version 2"): they apply to the call whose first Call
// message comes right after them, and to no other.
type extras struct {
	key      Key
	set      bool
	deadline int64 // ms; negative for none
	meta     []string
	metaErr  error // the metadata was over its limits: the call is refused
}

// take records a KindDeadline or KindMetadata message. Malformed metadata
// ends the wire; metadata over its limits refuses the call.
func (x *extras) take(f wire.Frame) error {
	k := Key{f.Procedure, f.Call}
	if !x.set || x.key != k {
		*x = extras{key: k, set: true, deadline: -1}
	}
	if f.Kind == wire.KindDeadline {
		if ms, err := wire.ParseDeadline(f); err == nil {
			x.deadline = int64(min(ms, MaxDeadlineMs))
		}
		return nil
	}
	kv, err := wire.ParseMetadata(f)
	if err != nil && !errors.Is(err, wire.ErrMetadataTooLarge) {
		return err // malformed
	}
	x.meta, x.metaErr = kv, err
	return nil
}

// forCall returns the extras for call k's first Call message and forgets
// them: either way they are used up.
func (x *extras) forCall(k Key) extras {
	got := *x
	*x = extras{}
	if !got.set || got.key != k {
		return extras{deadline: -1}
	}
	return got
}
