package codec

import "fmt"

// maxDepth bounds the nesting of arrays and maps in a decoded value, as
// rmp-serde's default depth limit does, so that hostile input cannot exhaust
// the stack of the recursive msgpack/v5 decoder.
const maxDepth = 1024

// check walks the next value without decoding it and fails if it is
// truncated, malformed, nested deeper than maxDepth, or declares an array or
// map longer than the bytes that remain could hold. msgpack/v5 preallocates
// declared lengths (v5.4.1 without any limit for slices), so every value goes
// through check before it reaches msgpack/v5: a decoder's allocations then
// stay proportional to its input.
func (r *sliceReader) check(depth int) error {
	c, err := r.ReadByte()
	if err != nil {
		return errShort
	}
	var size, items int // bytes to skip, values that follow
	switch {
	case c <= 0x7f || c >= negFixLow, c == codeNil, c == codeFalse, c == codeTrue:
		return nil
	case c >= 0x80 && c <= 0x8f:
		items = 2 * int(c-0x80)
	case c >= fixArrayLow && c <= fixArrayHigh:
		items = int(c - fixArrayLow)
	case c >= fixStrLow && c <= fixStrHigh:
		size = int(c - fixStrLow)
	default:
		switch c {
		case codeBin8, codeStr8:
			size, err = r.length(1)
		case codeBin16, codeStr16:
			size, err = r.length(2)
		case codeBin32, codeStr32:
			size, err = r.length(4)
		case 0xc7, 0xc8, 0xc9: // ext 8, 16, 32: length, type, data
			size, err = r.length(1 << (c - 0xc7))
			size++
		case codeFloat32, codeUint32, codeInt32:
			size = 4
		case codeFloat64, codeUint64, codeInt64:
			size = 8
		case codeUint8, codeInt8:
			size = 1
		case codeUint16, codeInt16:
			size = 2
		case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16: type, data
			size = 1 + 1<<(c-0xd4)
		case codeArray16:
			items, err = r.length(2)
		case codeArray32:
			items, err = r.length(4)
		case 0xde: // map 16
			items, err = r.length(2)
			items *= 2
		case 0xdf: // map 32
			items, err = r.length(4)
			items *= 2
		default: // 0xc1, never used
			return fmt.Errorf("invalid MessagePack code 0x%02x", c)
		}
		if err != nil {
			return err
		}
	}
	if size > 0 {
		_, err := r.next(size)
		return err
	}
	if items == 0 {
		return nil
	}
	// Each item takes at least one byte, so a count beyond the input fails
	// with errShort once the input runs out: the walk is bounded by the
	// input, not by the count, and a malformed item before the end is
	// reported as malformed rather than truncated.
	if depth >= maxDepth {
		return fmt.Errorf("value nested deeper than %d", maxDepth)
	}
	for i := 0; i < items; i++ {
		if err := r.check(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// ValueLen returns the length in bytes of the first complete MessagePack
// value at the start of b; bytes after it are not counted. If b holds only
// the start of a value (b empty included) it returns (0, ErrIncomplete):
// more bytes may complete it. Malformed input (the never-used code 0xc1,
// nesting deeper than the decoder accepts) returns another error: no more
// bytes can make it a value.
//
// ValueLen walks the value without decoding it and allocates nothing for
// its declared lengths.
func ValueLen(b []byte) (int, error) {
	r := sliceReader{b: b}
	if err := r.check(0); err != nil {
		if err == errShort {
			return 0, ErrIncomplete
		}
		return 0, prefixed{err}
	}
	return r.pos, nil
}
