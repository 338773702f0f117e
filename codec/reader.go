package codec

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
)

// MessagePack type codes this package reads or writes itself.
const (
	codeNil     = 0xc0
	codeFalse   = 0xc2
	codeTrue    = 0xc3
	codeBin8    = 0xc4
	codeBin16   = 0xc5
	codeBin32   = 0xc6
	codeFloat32 = 0xca
	codeFloat64 = 0xcb
	codeUint8   = 0xcc
	codeUint16  = 0xcd
	codeUint32  = 0xce
	codeUint64  = 0xcf
	codeInt8    = 0xd0
	codeInt16   = 0xd1
	codeInt32   = 0xd2
	codeInt64   = 0xd3
	codeStr8    = 0xd9
	codeStr16   = 0xda
	codeStr32   = 0xdb
	codeArray16 = 0xdc
	codeArray32 = 0xdd
	codeMap16   = 0xde
	codeMap32   = 0xdf

	fixMapLow    = 0x80
	fixMapHigh   = 0x8f
	fixStrLow    = 0xa0
	fixStrHigh   = 0xbf
	fixArrayLow  = 0x90
	fixArrayHigh = 0x9f
	negFixLow    = 0xe0
)

// sliceReader reads MessagePack values out of a byte slice. It implements
// io.Reader and io.ByteScanner, so a msgpack.Decoder reading from it does no
// buffering of its own and the position stays exact: the fast paths below
// and a msgpack.Decoder can take turns on the same input.
type sliceReader struct {
	b   []byte
	pos int
	// noCopy: a []byte value of at least aliasMin bytes decoded into a nil
	// slice may alias b (see UnmarshalNoCopy).
	noCopy bool
}

// aliasMin is the size from which UnmarshalNoCopy and DecodeArgsNoCopy let
// a byte slice alias the input instead of copying it: below, a copy is
// cheap, and a small slice does not pin a larger input buffer.
const aliasMin = 4 << 10

// Len returns the number of unread bytes.
func (r *sliceReader) Len() int { return len(r.b) - r.pos }

func (r *sliceReader) Read(p []byte) (int, error) {
	if r.pos >= len(r.b) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, r.b[r.pos:])
	r.pos += n
	return n, nil
}

func (r *sliceReader) ReadByte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, io.EOF
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *sliceReader) UnreadByte() error {
	if r.pos == 0 {
		return errors.New("codec: UnreadByte at start of input")
	}
	r.pos--
	return nil
}

// next returns the next n bytes without copying them.
func (r *sliceReader) next(n int) ([]byte, error) {
	if n < 0 || n > r.Len() {
		return nil, errShort
	}
	b := r.b[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

// length reads a big-endian length of 1, 2 or 4 bytes.
func (r *sliceReader) length(size int) (int, error) {
	b, err := r.next(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return int(b[0]), nil
	case 2:
		return int(binary.BigEndian.Uint16(b)), nil
	default:
		return int(binary.BigEndian.Uint32(b)), nil
	}
}

// integer reads any MessagePack integer. A negative value comes back as
// (value, 0, true); a non-negative one as (0, value, false).
func (r *sliceReader) integer() (neg int64, pos uint64, isNeg bool, err error) {
	c, err := r.ReadByte()
	if err != nil {
		return 0, 0, false, errShort
	}
	return r.integerAfter(c)
}

func (r *sliceReader) integerAfter(c byte) (int64, uint64, bool, error) {
	switch {
	case c <= 0x7f:
		return 0, uint64(c), false, nil
	case c >= negFixLow:
		return int64(int8(c)), 0, true, nil
	}
	var size int
	switch c {
	case codeUint8, codeInt8:
		size = 1
	case codeUint16, codeInt16:
		size = 2
	case codeUint32, codeInt32:
		size = 4
	case codeUint64, codeInt64:
		size = 8
	default:
		return 0, 0, false, badType(c)
	}
	b, err := r.next(size)
	if err != nil {
		return 0, 0, false, err
	}
	var s int64
	switch c {
	case codeUint8:
		return 0, uint64(b[0]), false, nil
	case codeUint16:
		return 0, uint64(binary.BigEndian.Uint16(b)), false, nil
	case codeUint32:
		return 0, uint64(binary.BigEndian.Uint32(b)), false, nil
	case codeUint64:
		return 0, binary.BigEndian.Uint64(b), false, nil
	case codeInt8:
		s = int64(int8(b[0]))
	case codeInt16:
		s = int64(int16(binary.BigEndian.Uint16(b)))
	case codeInt32:
		s = int64(int32(binary.BigEndian.Uint32(b)))
	default:
		s = int64(binary.BigEndian.Uint64(b))
	}
	if s < 0 {
		return s, 0, true, nil
	}
	return 0, uint64(s), false, nil
}

// int reads an integer that must fit a signed integer of the given bits.
func (r *sliceReader) int(bits uint) (int64, error) {
	neg, pos, isNeg, err := r.integer()
	if err != nil {
		return 0, err
	}
	if isNeg {
		if bits < 64 && neg < -1<<(bits-1) {
			return 0, overflow(strconv.FormatInt(neg, 10))
		}
		return neg, nil
	}
	if pos > 1<<(bits-1)-1 {
		return 0, overflow(strconv.FormatUint(pos, 10))
	}
	return int64(pos), nil
}

// uint reads an integer that must fit an unsigned integer of the given bits.
func (r *sliceReader) uint(bits uint) (uint64, error) {
	neg, pos, isNeg, err := r.integer()
	if err != nil {
		return 0, err
	}
	if isNeg {
		return 0, overflow(strconv.FormatInt(neg, 10))
	}
	if bits < 64 && pos > 1<<bits-1 {
		return 0, overflow(strconv.FormatUint(pos, 10))
	}
	return pos, nil
}

// float reads a float of either width, or an integer (as serde's float
// visitors accept).
func (r *sliceReader) float() (float64, error) {
	c, err := r.ReadByte()
	if err != nil {
		return 0, errShort
	}
	switch c {
	case codeFloat32:
		b, err := r.next(4)
		if err != nil {
			return 0, err
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	case codeFloat64:
		b, err := r.next(8)
		if err != nil {
			return 0, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	}
	neg, pos, isNeg, err := r.integerAfter(c)
	if err != nil {
		return 0, badType(c)
	}
	if isNeg {
		return float64(neg), nil
	}
	return float64(pos), nil
}

func (r *sliceReader) bool() (bool, error) {
	c, err := r.ReadByte()
	if err != nil {
		return false, errShort
	}
	switch c {
	case codeTrue:
		return true, nil
	case codeFalse:
		return false, nil
	}
	return false, badType(c)
}

// stringBytes reads a str or bin value and returns its bytes, which alias the
// input.
func (r *sliceReader) stringBytes() ([]byte, error) {
	c, err := r.ReadByte()
	if err != nil {
		return nil, errShort
	}
	var n int
	switch {
	case c >= fixStrLow && c <= fixStrHigh:
		n = int(c - fixStrLow)
	case c == codeStr8 || c == codeBin8:
		n, err = r.length(1)
	case c == codeStr16 || c == codeBin16:
		n, err = r.length(2)
	case c == codeStr32 || c == codeBin32:
		n, err = r.length(4)
	default:
		return nil, badType(c)
	}
	if err != nil {
		return nil, err
	}
	return r.next(n)
}

// byteArray reads a Vec<u8>: an array of integers in 0..255, or bin (or nil,
// which gives a nil slice).
func (r *sliceReader) byteArray() (ByteArray, error) {
	c, err := r.ReadByte()
	if err != nil {
		return nil, errShort
	}
	var n int
	switch {
	case c == codeNil:
		return nil, nil
	case c == codeBin8 || c == codeBin16 || c == codeBin32:
		size := 1 << (c - codeBin8) // 1, 2, 4
		if n, err = r.length(size); err != nil {
			return nil, err
		}
		b, err := r.next(n)
		if err != nil {
			return nil, err
		}
		return append(ByteArray{}, b...), nil
	case c >= fixArrayLow && c <= fixArrayHigh:
		n = int(c - fixArrayLow)
	case c == codeArray16:
		n, err = r.length(2)
	case c == codeArray32:
		n, err = r.length(4)
	default:
		return nil, badType(c)
	}
	if err != nil {
		return nil, err
	}
	// Every element takes at least one byte: refuse a length the input
	// cannot hold before allocating for it.
	if n > r.Len() {
		return nil, errShort
	}
	out := make(ByteArray, n)
	for i := range out {
		// Fast paths for the forms rmp-serde writes: positive fixint and
		// uint8.
		if r.pos < len(r.b) {
			if c := r.b[r.pos]; c <= 0x7f {
				out[i] = c
				r.pos++
				continue
			} else if c == codeUint8 && r.pos+1 < len(r.b) {
				out[i] = r.b[r.pos+1]
				r.pos += 2
				continue
			}
		}
		v, err := r.uint(8)
		if err != nil {
			return nil, inElement(err, i, "uint8")
		}
		out[i] = byte(v)
	}
	return out, nil
}

// setInt reads an integer that must fit bits into *p (0 on error).
func setInt[T int | int8 | int16 | int32 | int64](r *sliceReader, p *T, bits uint) error {
	n, err := r.int(bits)
	*p = T(n)
	return err
}

// setUint reads an integer that must fit bits, unsigned, into *p (0 on
// error).
func setUint[T uint | uint8 | uint16 | uint32 | uint64](r *sliceReader, p *T, bits uint) error {
	n, err := r.uint(bits)
	*p = T(n)
	return err
}

// decodeFast decodes one value into v if v is a pointer to a built-in scalar
// or to a ByteArray. It reports false, consuming nothing, for any other
// target.
func (r *sliceReader) decodeFast(v any) (bool, error) {
	var err error
	switch p := v.(type) {
	case *string:
		var b []byte
		if b, err = r.stringBytes(); err == nil {
			*p = string(b)
		}
	case *int64:
		err = setInt(r, p, 64)
	case *int:
		err = setInt(r, p, intSize)
	case *int32:
		err = setInt(r, p, 32)
	case *int16:
		err = setInt(r, p, 16)
	case *int8:
		err = setInt(r, p, 8)
	case *uint64:
		err = setUint(r, p, 64)
	case *uint:
		err = setUint(r, p, intSize)
	case *uint32:
		err = setUint(r, p, 32)
	case *uint16:
		err = setUint(r, p, 16)
	case *uint8:
		err = setUint(r, p, 8)
	case *bool:
		*p, err = r.bool()
	case *float64:
		*p, err = r.float()
	case *float32:
		var f float64
		f, err = r.float()
		*p = float32(f)
	case *ByteArray:
		*p, err = r.byteArray()
	case *[]byte:
		if r.pos >= len(r.b) {
			return false, nil // the slow path reports it
		}
		switch c := r.b[r.pos]; {
		case c == codeNil:
			r.pos++
			*p = nil
		case c >= fixStrLow && c <= fixStrHigh, c == codeStr8, c == codeStr16, c == codeStr32,
			c == codeBin8, c == codeBin16, c == codeBin32:
			var b []byte
			if b, err = r.stringBytes(); err == nil {
				*p = r.keep(*p, b)
			}
		default:
			return false, nil // not bytes: msgpack's error
		}
	default:
		return false, nil
	}
	return true, err
}

// keep returns the bytes b of the input as the value of a []byte whose
// current value is dst, as msgpack/v5 does: into dst's array when it has
// room, else a new one (an empty value is an empty, non-nil slice) or, in
// noCopy mode, b itself.
func (r *sliceReader) keep(dst, b []byte) []byte {
	switch {
	case dst == nil && len(b) == 0:
		return []byte{}
	case cap(dst) >= len(b) && dst != nil:
		dst = dst[:len(b)]
	case r.noCopy && dst == nil && len(b) >= aliasMin:
		return b[:len(b):len(b)]
	default:
		dst = make([]byte, len(b))
	}
	copy(dst, b)
	return dst
}

// intSize is the size in bits of int and uint.
const intSize = 32 << (^uint(0) >> 63)
