package codec

import (
	"fmt"
	"io"
	"reflect"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// NewDecoder returns a msgpack/v5 decoder reading from r, for callers who
// stream values. It decodes structs from arrays (and maps) and accepts any
// integer form, like every decoder of this package. Values decoded through it
// take msgpack/v5's paths only: the range checks of [Unmarshal] and
// [DecodeArgs] on top-level scalars do not apply, nor does their check of
// declared lengths: msgpack/v5 preallocates the length an array header
// declares, so do not feed it untrusted input (decode such input with
// Unmarshal). If r does not implement io.ByteScanner the decoder buffers and
// may read past the values it returns.
func NewDecoder(r io.Reader) *msgpack.Decoder {
	return msgpack.NewDecoder(r)
}

// pooledDecoder is a msgpack decoder bound for life to its own sliceReader.
type pooledDecoder struct {
	dec *msgpack.Decoder
	r   sliceReader
}

var decoderPool = sync.Pool{New: func() any {
	d := new(pooledDecoder)
	d.dec = msgpack.NewDecoder(&d.r)
	return d
}}

// decodeSlow decodes one value into v with msgpack/v5, from r's position,
// and advances r. It checks the value first (see check).
func decodeSlow(r *sliceReader, v any) error {
	probe := *r
	if err := probe.check(0); err != nil {
		return err
	}
	prepare(reflect.TypeOf(v)) // a struct's field encoders are built once, for decoding too
	d := decoderPool.Get().(*pooledDecoder)
	d.r = *r
	from := r.pos
	err := d.dec.Decode(v)
	*r = d.r
	d.r = sliceReader{} // do not keep the caller's input alive in the pool
	decoderPool.Put(d)
	if err != nil {
		return explained(r.b[from:], v, err)
	}
	return nil
}

// decodeValue decodes one value into v and advances r.
func decodeValue(r *sliceReader, v any) error {
	if ok, err := r.decodeFast(v); ok {
		return err
	}
	return decodeSlow(r, v)
}

// Unmarshal decodes exactly one value from data into v, which must be a
// non-nil pointer. It is an error if bytes remain after the value; input
// that ends inside the value is io.ErrUnexpectedEOF; a value that does not
// fit v says where and why in Go's words (see the package documentation).
// Unmarshal does not keep data: strings and byte slices in v are copies.
func Unmarshal(data []byte, v any) error { return unmarshal(data, v, false) }

// UnmarshalNoCopy is Unmarshal for a caller that hands data over: when v is
// (or points to) a nil []byte, a value of 4 KiB or more aliases data instead
// of being copied, so data must not be modified or reused afterwards.
// Smaller values, and byte slices nested in other types, are copies.
func UnmarshalNoCopy(data []byte, v any) error { return unmarshal(data, v, true) }

func unmarshal(data []byte, v any, noCopy bool) error {
	r := sliceReader{b: data, noCopy: noCopy}
	if p, ok := v.(*int); ok {
		// The commonest stream value, without the general path's dispatch
		// (which decodes it the same way, and reports what fails here).
		if x, err := r.int(intSize); err == nil && r.Len() == 0 {
			*p = int(x)
			return nil
		}
		r = sliceReader{b: data, noCopy: noCopy}
	}
	if err := decodeValue(&r, v); err != nil {
		if err = shortError(err); err == io.ErrUnexpectedEOF {
			return err
		}
		return prefixed{rooted(err, v)}
	}
	if n := r.Len(); n != 0 {
		return fmt.Errorf("codec: %d trailing bytes after the value", n)
	}
	return nil
}

// DecodeArgs decodes len(dst) values one after another from an argument
// payload (values concatenated without an array header) into the pointers in
// dst. Every error wraps ErrArgs: the payload holds fewer values, a value does
// not fit its target, or bytes remain after the last value. DecodeArgs does not
// keep payload.
func DecodeArgs(payload []byte, dst ...any) error { return decodeArgs(payload, dst, false) }

// DecodeArgsNoCopy is DecodeArgs for a caller that hands payload over: a
// []byte argument of 4 KiB or more decoded into a nil slice aliases payload,
// as with UnmarshalNoCopy.
func DecodeArgsNoCopy(payload []byte, dst ...any) error { return decodeArgs(payload, dst, true) }

func decodeArgs(payload []byte, dst []any, noCopy bool) error {
	r := sliceReader{b: payload, noCopy: noCopy}
	for i, v := range dst {
		if r.Len() == 0 {
			return fmt.Errorf("%w: payload holds %d values, want %d", ErrArgs, i, len(dst))
		}
		if err := decodeValue(&r, v); err != nil {
			return fmt.Errorf("%w: argument %d of %d: %w", ErrArgs, i+1, len(dst), rooted(shortError(err), v))
		}
	}
	if n := r.Len(); n != 0 {
		return fmt.Errorf("%w: %d trailing bytes after %d values", ErrArgs, n, len(dst))
	}
	return nil
}

// shortError turns the end of input in the middle of a value into
// io.ErrUnexpectedEOF, whoever saw it.
func shortError(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
