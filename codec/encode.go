package codec

import (
	"io"
	"reflect"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// NewEncoder returns a msgpack/v5 encoder writing to w and configured as this
// package encodes: integers in their smallest form, floats at their width,
// structs as arrays. It is for callers who stream values; note that the
// top-level struct{} rule of [Append] does not apply to it.
func NewEncoder(w io.Writer) *msgpack.Encoder {
	e := msgpack.NewEncoder(w)
	configure(e)
	return e
}

func configure(e *msgpack.Encoder) {
	e.UseCompactInts(true)
	e.UseArrayEncodedStructs(true)
}

// appendWriter is an io.Writer (and io.ByteWriter) appending to a slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

// pooledEncoder is a configured msgpack encoder bound for life to its own
// appendWriter.
type pooledEncoder struct {
	enc *msgpack.Encoder
	w   appendWriter
}

var encoderPool = sync.Pool{New: func() any {
	e := new(pooledEncoder)
	e.enc = msgpack.NewEncoder(&e.w)
	configure(e.enc)
	return e
}}

// appendSlow appends v's encoding with msgpack/v5.
func appendSlow(dst []byte, v any) ([]byte, error) {
	prepare(reflect.TypeOf(v))
	e := encoderPool.Get().(*pooledEncoder)
	e.w.b = dst
	err := e.enc.Encode(v)
	dst = e.w.b
	e.w.b = nil // do not keep the caller's buffer alive in the pool
	encoderPool.Put(e)
	if err != nil {
		return dst, cannotEncode(v, err)
	}
	return dst, nil
}

func appendValue(dst []byte, v any) ([]byte, error) {
	if out, ok := appendFast(dst, v); ok {
		return out, nil
	}
	return appendSlow(dst, v)
}

// Append appends the encoding of v to dst and returns the extended buffer.
// On error (one matching ErrEncode) it returns dst with its original
// length. Append does not keep dst.
func Append(dst []byte, v any) ([]byte, error) {
	if p, ok := v.(*int); ok && p != nil {
		return appendInt(dst, int64(*p)), nil // the commonest stream value, without the dispatch
	}
	n := len(dst)
	out, err := appendValue(dst, v)
	if err != nil {
		return out[:n], prefixed{err}
	}
	return out, nil
}

// Marshal returns the encoding of v in a new buffer.
func Marshal(v any) ([]byte, error) {
	return Append(nil, v)
}

// AppendArgs appends the encoding of each argument, one after another,
// without an array header: the payload of a call. With no arguments it returns
// dst unchanged. On error it returns dst with its original length, and an
// error matching ErrEncode that names the argument ("argument 2 of 3").
func AppendArgs(dst []byte, args ...any) ([]byte, error) {
	n := len(dst)
	var err error
	for i, a := range args {
		if dst, err = appendValue(dst, a); err != nil {
			return dst[:n], prefixed{&argError{i: i, n: len(args), err: err}}
		}
	}
	return dst, nil
}
