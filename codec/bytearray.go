package codec

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// ByteArray is a []byte that crosses to Rust as Vec<u8>: a MessagePack array
// of integers (93 01 02 cc c8 for {1, 2, 200}), not bin, which rmp-serde
// rejects where it expects a Vec<u8>. A nil ByteArray encodes as nil, as
// msgpack/v5 encodes every nil slice (Rust reads it as None, not as an empty
// Vec): send ByteArray{} for an empty Vec<u8>. A ByteArray decodes from an
// array of integers in 0..255, from bin (serde_bytes), and from nil as a nil
// slice. Decoding allocates a new slice; it never aliases the input.
type ByteArray []byte

var (
	_ msgpack.CustomEncoder = ByteArray(nil)
	_ msgpack.CustomDecoder = (*ByteArray)(nil)
)

// appendTo appends b's encoding to dst.
func (b ByteArray) appendTo(dst []byte) []byte {
	n := 5 + len(b)
	for _, c := range b {
		if c > 0x7f {
			n++
		}
	}
	dst = appendArrayHeader(grow(dst, n), len(b))
	for _, c := range b {
		if c <= 0x7f {
			dst = append(dst, c)
		} else {
			dst = append(dst, codeUint8, c)
		}
	}
	return dst
}

// EncodeMsgpack implements msgpack.CustomEncoder: it writes b as an array of
// integers, each in its smallest form (msgpack/v5 writes nil for a nil b
// before calling it).
func (b ByteArray) EncodeMsgpack(e *msgpack.Encoder) error {
	if w, ok := e.Writer().(*appendWriter); ok {
		w.b = b.appendTo(w.b)
		return nil
	}
	if err := e.EncodeArrayLen(len(b)); err != nil {
		return err
	}
	for _, c := range b {
		if err := e.EncodeUint(uint64(c)); err != nil {
			return err
		}
	}
	return nil
}

// DecodeMsgpack implements msgpack.CustomDecoder: it reads an array of
// integers in 0..255, bin, or nil into b.
func (b *ByteArray) DecodeMsgpack(d *msgpack.Decoder) error {
	if r, ok := d.Buffered().(*sliceReader); ok {
		v, err := r.byteArray()
		if err != nil {
			return err
		}
		*b = v
		return nil
	}
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	if c == codeNil || c == codeBin8 || c == codeBin16 || c == codeBin32 {
		v, err := d.DecodeBytes()
		if err != nil {
			return err
		}
		*b = v // a fresh slice (or nil), not aliasing the input
		return nil
	}
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	// The length is untrusted: grow as elements arrive rather than
	// allocating it up front.
	v := make(ByteArray, 0, min(n, 4096))
	for i := 0; i < n; i++ {
		x, err := d.DecodeUint64()
		if err != nil {
			return err
		}
		if x > 0xff {
			return fmt.Errorf("codec: byte array element %d: %d overflows uint8", i, x)
		}
		v = append(v, byte(x))
	}
	*b = v
	return nil
}
