package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/ipfi-go/ipfi/codec"
)

// JSON to MessagePack.
//
// A JSON number written without a fraction or an exponent is an integer,
// in its smallest MessagePack form (as the Rust crate writes one); any other
// number is a float64. Strings, true, false and null map to their MessagePack
// counterparts, arrays to arrays, objects to maps with string keys in the
// order they were written.

// jsonToMsgpack appends the MessagePack encoding of the single JSON value s.
func jsonToMsgpack(dst []byte, s string) ([]byte, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	out, err := appendJSONValue(dst, dec, 0)
	if err != nil {
		return dst, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return dst, errors.New("more than one JSON value")
	}
	return out, nil
}

// maxDepth bounds the nesting of a value either way, as codec does.
const maxDepth = 1024

// appendJSONValue reads one value from dec and appends its encoding.
func appendJSONValue(dst []byte, dec *json.Decoder, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, errors.New("nested too deeply")
	}
	tok, err := dec.Token()
	if err == io.EOF {
		return dst, errors.New("no JSON value")
	}
	if err != nil {
		return dst, err
	}
	switch t := tok.(type) {
	case nil:
		return append(dst, 0xc0), nil
	case bool:
		return codec.Append(dst, t)
	case string:
		return codec.Append(dst, t)
	case json.Number:
		return appendNumber(dst, t)
	case json.Delim:
		// Elements are encoded into a buffer of their own, since the
		// header before them holds their count.
		var body []byte
		n := 0
		for dec.More() {
			if t == '{' {
				key, err := dec.Token()
				if err != nil {
					return dst, err
				}
				if body, err = codec.Append(body, key.(string)); err != nil {
					return dst, err
				}
			}
			if body, err = appendJSONValue(body, dec, depth+1); err != nil {
				return dst, err
			}
			n++
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return dst, err
		}
		if t == '{' {
			dst = appendHeader(dst, n, 0x80, 0xde)
		} else {
			dst = appendHeader(dst, n, 0x90, 0xdc)
		}
		return append(dst, body...), nil
	}
	return dst, fmt.Errorf("unexpected JSON token %v", tok)
}

// appendNumber appends a JSON number: an integer if written as one.
func appendNumber(dst []byte, n json.Number) ([]byte, error) {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return codec.Append(dst, i)
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return codec.Append(dst, u)
		}
		return dst, fmt.Errorf("integer %s does not fit in 64 bits", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return dst, fmt.Errorf("number %s: %v", s, err)
	}
	return codec.Append(dst, f)
}

// appendHeader appends an array's or map's header for n elements: the fix
// form (fix|n) below 16, else the 16- or 32-bit form (first, first+1).
func appendHeader(dst []byte, n int, fix, first byte) []byte {
	switch {
	case n < 16:
		return append(dst, fix|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, first), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, first+1), uint32(n))
}

// MessagePack to JSON.
//
// Integers and floats become JSON numbers (a NaN or an infinity, which JSON
// cannot hold, the string "NaN", "Infinity" or "-Infinity"); str a string;
// bin a base64 string, as encoding/json writes a []byte; nil null; arrays
// arrays; maps objects in the order their entries came, a key that is not a
// string written as the JSON text of the key; an extension value
// {"ext": type, "data": base64}.

// msgpackToJSON appends the JSON text of each MessagePack value in b,
// one per line.
func msgpackToJSON(dst, b []byte) ([]byte, error) {
	for len(b) > 0 {
		var err error
		if dst, b, err = appendMsgpackValue(dst, b, 0); err != nil {
			return dst, fmt.Errorf("malformed MessagePack: %w", err)
		}
		dst = append(dst, '\n')
	}
	return dst, nil
}

var errTruncated = errors.New("value truncated")

// appendMsgpackValue appends the JSON text of the first value of b and
// returns the rest of b.
func appendMsgpackValue(dst, b []byte, depth int) ([]byte, []byte, error) {
	if depth > maxDepth {
		return dst, nil, errors.New("nested too deeply")
	}
	if len(b) == 0 {
		return dst, nil, errTruncated
	}
	c, r := b[0], &msgpackReader{b[1:]}
	if c >= 0x80 && c <= 0x9f || c >= 0xdc && c <= 0xdf {
		return appendMsgpackContainer(dst, c, r, depth)
	}
	out, err := appendMsgpackScalar(dst, c, r)
	if err != nil {
		return dst, nil, err
	}
	return out, r.b, nil
}

// msgpackReader reads the parts of a value from the front of b.
type msgpackReader struct{ b []byte }

// take returns the next n bytes, or nil past the end.
func (r *msgpackReader) take(n uint64) []byte {
	if uint64(len(r.b)) < n {
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// readUint reads a big-endian length or integer of size bytes.
func (r *msgpackReader) readUint(size int) (uint64, bool) {
	v := r.take(uint64(size))
	if v == nil {
		return 0, false
	}
	var n uint64
	for _, x := range v {
		n = n<<8 | uint64(x)
	}
	return n, true
}

// sized reads a length of size bytes and then that many bytes; nil past
// the end.
func (r *msgpackReader) sized(size int) []byte {
	n, ok := r.readUint(size)
	if !ok {
		return nil
	}
	return r.take(n)
}

// appendMsgpackContainer appends the array or map whose type byte is c
// (fixmap, fixarray, array 16 or 32, map 16 or 32) and returns the rest of
// the input.
func appendMsgpackContainer(dst []byte, c byte, r *msgpackReader, depth int) ([]byte, []byte, error) {
	switch {
	case c <= 0x8f:
		return appendMap(dst, r.b, uint64(c&0x0f), depth)
	case c <= 0x9f:
		return appendArray(dst, r.b, uint64(c&0x0f), depth)
	}
	n, ok := r.readUint(2 << (c & 1)) // a count of 2 bytes (0xdc, 0xde) or 4 (0xdd, 0xdf)
	if !ok {
		return dst, nil, errTruncated
	}
	if c <= 0xdd {
		return appendArray(dst, r.b, n, depth)
	}
	return appendMap(dst, r.b, n, depth)
}

// appendMsgpackScalar appends the value whose type byte is c, any but an
// array or a map, reading its body from r.
func appendMsgpackScalar(dst []byte, c byte, r *msgpackReader) ([]byte, error) {
	switch {
	case c <= 0x7f:
		return strconv.AppendUint(dst, uint64(c), 10), nil
	case c >= 0xe0:
		return strconv.AppendInt(dst, int64(int8(c)), 10), nil
	case c >= 0xa0 && c <= 0xbf:
		return appendMsgpackStr(dst, r.take(uint64(c&0x1f)))
	}
	switch c {
	case 0xc0:
		return append(dst, "null"...), nil
	case 0xc2:
		return append(dst, "false"...), nil
	case 0xc3:
		return append(dst, "true"...), nil
	case 0xc4, 0xc5, 0xc6: // bin 8, 16, 32
		return appendMsgpackBin(dst, r.sized(1<<(c-0xc4)))
	case 0xd9, 0xda, 0xdb: // str 8, 16, 32
		return appendMsgpackStr(dst, r.sized(1<<(c-0xd9)))
	case 0xc7, 0xc8, 0xc9: // ext 8, 16, 32
		n, ok := r.readUint(1 << (c - 0xc7))
		if !ok {
			return dst, errTruncated
		}
		return appendMsgpackExt(dst, r, n)
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16
		return appendMsgpackExt(dst, r, 1<<(c-0xd4))
	case 0xca:
		return appendMsgpackFloat(dst, r, 32)
	case 0xcb:
		return appendMsgpackFloat(dst, r, 64)
	case 0xcc, 0xcd, 0xce, 0xcf: // uint 8..64
		return appendMsgpackUint(dst, r, 1<<(c-0xcc))
	case 0xd0, 0xd1, 0xd2, 0xd3: // int 8..64
		return appendMsgpackInt(dst, r, 1<<(c-0xd0))
	}
	return dst, fmt.Errorf("unknown type byte 0x%02x", c)
}

// appendMsgpackStr appends a str's data (nil: truncated) as a JSON string.
func appendMsgpackStr(dst, data []byte) ([]byte, error) {
	if data == nil {
		return dst, errTruncated
	}
	return appendJSONString(dst, string(data)), nil
}

// appendMsgpackBin appends a bin's data (nil: truncated) as a base64 JSON
// string.
func appendMsgpackBin(dst, data []byte) ([]byte, error) {
	if data == nil {
		return dst, errTruncated
	}
	return appendJSONString(dst, base64.StdEncoding.EncodeToString(data)), nil
}

// appendMsgpackExt reads an extension's type byte and its n bytes of data
// and appends them.
func appendMsgpackExt(dst []byte, r *msgpackReader, n uint64) ([]byte, error) {
	typ := r.take(1)
	data := r.take(n)
	if typ == nil || data == nil {
		return dst, errTruncated
	}
	return appendExt(dst, int8(typ[0]), data), nil
}

// appendMsgpackFloat reads a float of the given bit size, 32 or 64, and
// appends it.
func appendMsgpackFloat(dst []byte, r *msgpackReader, bits int) ([]byte, error) {
	v, ok := r.readUint(bits / 8)
	if !ok {
		return dst, errTruncated
	}
	if bits == 32 {
		return appendFloat(dst, float64(math.Float32frombits(uint32(v))), 32), nil
	}
	return appendFloat(dst, math.Float64frombits(v), 64), nil
}

// appendMsgpackUint reads an unsigned integer of size bytes and appends it.
func appendMsgpackUint(dst []byte, r *msgpackReader, size int) ([]byte, error) {
	v, ok := r.readUint(size)
	if !ok {
		return dst, errTruncated
	}
	return strconv.AppendUint(dst, v, 10), nil
}

// appendMsgpackInt reads a signed integer of size bytes and appends it.
func appendMsgpackInt(dst []byte, r *msgpackReader, size int) ([]byte, error) {
	v, ok := r.readUint(size)
	if !ok {
		return dst, errTruncated
	}
	shift := 64 - 8*size // sign-extend
	return strconv.AppendInt(dst, int64(v<<shift)>>shift, 10), nil
}

// appendArray appends n values of b as a JSON array.
func appendArray(dst, b []byte, n uint64, depth int) ([]byte, []byte, error) {
	dst = append(dst, '[')
	for i := uint64(0); i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, b, err = appendMsgpackValue(dst, b, depth+1); err != nil {
			return dst, nil, err
		}
	}
	return append(dst, ']'), b, nil
}

// appendMap appends n key-value pairs of b as a JSON object.
func appendMap(dst, b []byte, n uint64, depth int) ([]byte, []byte, error) {
	dst = append(dst, '{')
	for i := uint64(0); i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		// A string key is written as is; any other as its JSON text.
		key, rest, err := appendMsgpackValue(nil, b, depth+1)
		if err != nil {
			return dst, nil, err
		}
		b = rest
		if len(key) > 0 && key[0] == '"' {
			dst = append(dst, key...)
		} else {
			dst = appendJSONString(dst, string(key))
		}
		dst = append(dst, ':')
		if dst, b, err = appendMsgpackValue(dst, b, depth+1); err != nil {
			return dst, nil, err
		}
	}
	return append(dst, '}'), b, nil
}

// appendFloat appends a float of the given bit size as a JSON number.
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	var v any = f
	if bits == 32 {
		v = float32(f)
	}
	out, _ := json.Marshal(v) // cannot fail for a finite float
	return append(dst, out...)
}

// appendExt appends an extension value as {"ext": type, "data": base64}.
func appendExt(dst []byte, typ int8, data []byte) []byte {
	dst = append(dst, `{"ext":`...)
	dst = strconv.AppendInt(dst, int64(typ), 10)
	dst = append(dst, `,"data":`...)
	dst = appendJSONString(dst, base64.StdEncoding.EncodeToString(data))
	return append(dst, '}')
}

// appendJSONString appends s as a JSON string, without escaping <, > and &.
func appendJSONString(dst []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // cannot fail for a string
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
