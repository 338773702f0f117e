package codec

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/ipfi-go/ipfi/internal/bufpool"
)

// appendFast appends v if it is nil or a built-in scalar, []byte, ByteArray or
// struct{}, writing exactly what the configured msgpack encoder writes (except
// struct{}, which is nil here but an empty array there). It reports false,
// appending nothing, for any other value.
//
// It grows dst at most once per value, to the exact size for strings, bins
// and byte arrays and to 9 bytes (the largest scalar) otherwise.
func appendFast(dst []byte, v any) ([]byte, bool) {
	// Pointers to the common scalars encode as the value they point to (as
	// msgpack/v5 does): callers that reuse one boxed pointer avoid an
	// allocation per value.
	switch x := v.(type) {
	case *int:
		if x != nil {
			return appendInt(grow(dst, 9), int64(*x)), true
		}
	case *int64:
		if x != nil {
			return appendInt(grow(dst, 9), *x), true
		}
	case *uint64:
		if x != nil {
			return appendUint(grow(dst, 9), *x), true
		}
	case *uint32:
		if x != nil {
			return appendUint(grow(dst, 9), uint64(*x)), true
		}
	case *string:
		if x != nil {
			v = *x
		}
	case *[]byte:
		if x != nil {
			v = *x
		}
	}
	switch x := v.(type) {
	case string:
		return appendString(grow(dst, 5+len(x)), x), true
	case ByteArray:
		if x == nil {
			return append(dst, codeNil), true
		}
		return x.appendTo(dst), true
	case []byte:
		if x == nil {
			return append(dst, codeNil), true
		}
		return append(appendBinHeader(grow(dst, 5+len(x)), len(x)), x...), true
	}
	dst = grow(dst, 9)
	switch x := v.(type) {
	case nil:
		return append(dst, codeNil), true
	case struct{}:
		return append(dst, codeNil), true
	case int64:
		return appendInt(dst, x), true
	case int:
		return appendInt(dst, int64(x)), true
	case int32:
		return appendInt(dst, int64(x)), true
	case int16:
		return appendInt(dst, int64(x)), true
	case int8:
		return appendInt(dst, int64(x)), true
	case uint64:
		return appendUint(dst, x), true
	case uint:
		return appendUint(dst, uint64(x)), true
	case uint32:
		return appendUint(dst, uint64(x)), true
	case uint16:
		return appendUint(dst, uint64(x)), true
	case uint8:
		return appendUint(dst, uint64(x)), true
	case bool:
		if x {
			return append(dst, codeTrue), true
		}
		return append(dst, codeFalse), true
	case float64:
		return binary.BigEndian.AppendUint64(append(dst, codeFloat64), math.Float64bits(x)), true
	case float32:
		return binary.BigEndian.AppendUint32(append(dst, codeFloat32), math.Float32bits(x)), true
	}
	return dst, false
}

// grow makes room for n more bytes in dst. A large buffer comes from the
// library's buffer pool (reused memory, which the runtime neither zeroes
// nor faults in again); dst is not put back.
func grow(dst []byte, n int) []byte {
	switch {
	case cap(dst)-len(dst) >= n:
		return dst
	case len(dst)+n >= pooledFrom:
		return bufpool.Grow(dst, n)
	}
	return slices.Grow(dst, n)
}

// pooledFrom is the size from which grow takes buffers from the pool.
const pooledFrom = 4 << 10

// appendUint appends n in its smallest form: positive fixint, then uint8, 16,
// 32, 64 (rmp's write_uint).
func appendUint(dst []byte, n uint64) []byte {
	switch {
	case n <= 0x7f:
		return append(dst, byte(n))
	case n <= math.MaxUint8:
		return append(dst, codeUint8, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, codeUint16), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, codeUint32), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, codeUint64), n)
}

// appendInt appends n in its smallest form: a non-negative n as appendUint, a
// negative one as negative fixint, then int8, 16, 32, 64 (rmp's write_sint).
func appendInt(dst []byte, n int64) []byte {
	switch {
	case n >= 0:
		return appendUint(dst, uint64(n))
	case n >= -32:
		return append(dst, byte(n))
	case n >= math.MinInt8:
		return append(dst, codeInt8, byte(n))
	case n >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(dst, codeInt16), uint16(n))
	case n >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(dst, codeInt32), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, codeInt64), uint64(n))
}

func appendString(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n <= 31:
		dst = append(dst, fixStrLow|byte(n))
	case n <= math.MaxUint8:
		dst = append(dst, codeStr8, byte(n))
	case n <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, codeStr16), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, codeStr32), uint32(n))
	}
	return append(dst, s...)
}

func appendBinHeader(dst []byte, n int) []byte {
	switch {
	case n <= math.MaxUint8:
		return append(dst, codeBin8, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, codeBin16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, codeBin32), uint32(n))
}

func appendArrayHeader(dst []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(dst, fixArrayLow|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, codeArray16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, codeArray32), uint32(n))
}
