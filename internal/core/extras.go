package core

import (
	"errors"

	"github.com/ipfi-go/ipfi/wire"
)

// MaxDeadlineMs bounds the milliseconds a KindDeadline gives (a year), so
// that a duration made of it does not overflow.
const MaxDeadlineMs = 365 * 24 * 3600 * 1000

// Extras is the deadline and metadata the peer sent for its next call
// (wire/PROTOCOL.md, "Version 2"): they apply to the call whose first Call
// message comes right after them, for the same (procedure, call) pair,
// and to no other. Any message but a Call or Metadata forgets them.
type Extras struct {
	key      Key
	set      bool
	deadline int64 // ms; negative for none
	meta     []string
	metaErr  error // the metadata was over its limits: the call is refused
}

// Heard takes one frame of the peer's (every one but a Call, which
// ForCall takes): a Deadline or Metadata message is kept, anything else
// forgets what was kept. Malformed metadata is an error that ends the
// wire; metadata over its limits is kept with its error, for the call to
// be refused.
func (x *Extras) Heard(f wire.Frame) error {
	switch f.Kind {
	case wire.KindDeadline, wire.KindMetadata:
		return x.take(f)
	}
	if x.set {
		*x = Extras{}
	}
	return nil
}

func (x *Extras) take(f wire.Frame) error {
	k := Key{f.Procedure, f.Call}
	if f.Kind == wire.KindDeadline || !x.set || x.key != k {
		// A Deadline starts them (it goes first); Metadata joins the
		// Deadline of its pair.
		*x = Extras{key: k, set: true, deadline: -1}
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

// ForCall returns what was kept for the call whose Call message k came
// now, and forgets it: used up either way. deadlineMs is negative for
// none; metaErr says the metadata was over its limits.
func (x *Extras) ForCall(k Key) (deadlineMs int64, meta []string, metaErr error) {
	if !x.set {
		return -1, nil, nil
	}
	got := *x
	*x = Extras{}
	if got.key != k {
		return -1, nil, nil
	}
	return got.deadline, got.meta, got.metaErr
}

// MetadataMap makes a map of a call's metadata, keys and values in turn (a
// later value for a key replaces an earlier one), or nil for none: what a
// procedure reads in package ipfi and in package guest.
func MetadataMap(kv []string) map[string]string {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
