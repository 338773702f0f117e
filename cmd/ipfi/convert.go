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
	c, b := b[0], b[1:]
	// take returns the next n bytes of b, or nil past its end.
	take := func(n uint64) []byte {
		if uint64(len(b)) < n {
			return nil
		}
		v := b[:n]
		b = b[n:]
		return v
	}
	// length reads a big-endian length or integer of size bytes.
	length := func(size int) (uint64, bool) {
		v := take(uint64(size))
		if v == nil {
			return 0, false
		}
		var n uint64
		for _, x := range v {
			n = n<<8 | uint64(x)
		}
		return n, true
	}
	switch {
	case c <= 0x7f:
		return strconv.AppendUint(dst, uint64(c), 10), b, nil
	case c >= 0xe0:
		return strconv.AppendInt(dst, int64(int8(c)), 10), b, nil
	case c >= 0x80 && c <= 0x8f:
		return appendMap(dst, b, uint64(c&0x0f), depth)
	case c >= 0x90 && c <= 0x9f:
		return appendArray(dst, b, uint64(c&0x0f), depth)
	case c >= 0xa0 && c <= 0xbf:
		s := take(uint64(c & 0x1f))
		if s == nil {
			return dst, nil, errTruncated
		}
		return appendJSONString(dst, string(s)), b, nil
	}
	switch c {
	case 0xc0:
		return append(dst, "null"...), b, nil
	case 0xc2:
		return append(dst, "false"...), b, nil
	case 0xc3:
		return append(dst, "true"...), b, nil
	case 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb: // bin, str
		size := 1 << (c - 0xc4)
		if c >= 0xd9 {
			size = 1 << (c - 0xd9)
		}
		n, ok := length(size)
		data := take(n)
		if !ok || data == nil {
			return dst, nil, errTruncated
		}
		if c >= 0xd9 {
			return appendJSONString(dst, string(data)), b, nil
		}
		return appendJSONString(dst, base64.StdEncoding.EncodeToString(data)), b, nil
	case 0xc7, 0xc8, 0xc9: // ext 8, 16, 32
		n, ok := length(1 << (c - 0xc7))
		typ := take(1)
		data := take(n)
		if !ok || typ == nil || data == nil {
			return dst, nil, errTruncated
		}
		return appendExt(dst, int8(typ[0]), data), b, nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16
		typ := take(1)
		data := take(1 << (c - 0xd4))
		if typ == nil || data == nil {
			return dst, nil, errTruncated
		}
		return appendExt(dst, int8(typ[0]), data), b, nil
	case 0xca:
		v, ok := length(4)
		if !ok {
			return dst, nil, errTruncated
		}
		return appendFloat(dst, float64(math.Float32frombits(uint32(v))), 32), b, nil
	case 0xcb:
		v, ok := length(8)
		if !ok {
			return dst, nil, errTruncated
		}
		return appendFloat(dst, math.Float64frombits(v), 64), b, nil
	case 0xcc, 0xcd, 0xce, 0xcf: // uint 8..64
		v, ok := length(1 << (c - 0xcc))
		if !ok {
			return dst, nil, errTruncated
		}
		return strconv.AppendUint(dst, v, 10), b, nil
	case 0xd0, 0xd1, 0xd2, 0xd3: // int 8..64
		size := 1 << (c - 0xd0)
		v, ok := length(size)
		if !ok {
			return dst, nil, errTruncated
		}
		shift := 64 - 8*size // sign-extend
		return strconv.AppendInt(dst, int64(v<<shift)>>shift, 10), b, nil
	case 0xdc, 0xdd, 0xde, 0xdf: // array 16, 32; map 16, 32
		size := 2
		if c == 0xdd || c == 0xdf {
			size = 4
		}
		n, ok := length(size)
		if !ok {
			return dst, nil, errTruncated
		}
		if c <= 0xdd {
			return appendArray(dst, b, n, depth)
		}
		return appendMap(dst, b, n, depth)
	}
	return dst, nil, fmt.Errorf("unknown type byte 0x%02x", c)
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
