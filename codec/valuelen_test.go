package codec_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/vectors"
	"github.com/vmihailenco/msgpack/v5"
)

// valueLenValues are complete MessagePack values of every family.
func valueLenValues(tb testing.TB) map[string][]byte {
	tb.Helper()
	deep := append(bytes.Repeat([]byte{0x91}, 1000), 0x01)
	return map[string][]byte{
		"positive fixint":  mustHex(tb, "7f"),
		"negative fixint":  mustHex(tb, "e0"),
		"nil":              mustHex(tb, "c0"),
		"true":             mustHex(tb, "c3"),
		"uint8":            mustHex(tb, "ccff"),
		"uint16":           mustHex(tb, "cd0100"),
		"uint32":           mustHex(tb, "ce00010000"),
		"uint64":           mustHex(tb, "cf0000000100000000"),
		"int8":             mustHex(tb, "d080"),
		"int16":            mustHex(tb, "d1fed4"),
		"int32":            mustHex(tb, "d2ffff0000"),
		"int64":            mustHex(tb, "d3ffffffff00000000"),
		"float32":          mustHex(tb, "ca3f800000"),
		"float64":          mustHex(tb, "cb3ff0000000000000"),
		"fixstr":           mustHex(tb, "a44a6f686e"),
		"empty fixstr":     mustHex(tb, "a0"),
		"str8":             append(mustHex(tb, "d920"), strings.Repeat("s", 32)...),
		"str16":            append(mustHex(tb, "da0100"), strings.Repeat("t", 256)...),
		"str32":            mustHex(tb, "db00000003616263"),
		"bin8":             mustHex(tb, "c403010203"),
		"bin16":            append(mustHex(tb, "c50101"), bytes.Repeat([]byte{0xc1}, 257)...),
		"bin32":            mustHex(tb, "c6000000020102"),
		"empty bin8":       mustHex(tb, "c400"),
		"fixext1":          mustHex(tb, "d401ff"),
		"fixext2":          mustHex(tb, "d5010102"),
		"fixext4":          mustHex(tb, "d60101020304"),
		"fixext8":          mustHex(tb, "d7ff0102030405060708"),
		"fixext16":         mustHex(tb, "d80100112233445566778899aabbccddeeff"),
		"ext8":             mustHex(tb, "c702050102"),
		"ext16":            mustHex(tb, "c8000105ff"),
		"ext32 empty":      mustHex(tb, "c90000000005"),
		"empty array":      mustHex(tb, "90"),
		"empty map":        mustHex(tb, "80"),
		"nested arrays":    mustHex(tb, "9201920293a161c0cb3ff0000000000000"),
		"nested maps":      mustHex(tb, "82a16191c0a16281018102c4010a"),
		"array16":          mustHex(tb, "dc00020102"),
		"array32":          mustHex(tb, "dd00000002c3dc0000"),
		"map16":            mustHex(tb, "de0001a1789190"),
		"map32":            mustHex(tb, "df00000001a0c2"),
		"map of ext":       mustHex(tb, "81d401ffc702050102"),
		"deep but allowed": deep,
	}
}

// TestValueLen: every proper prefix of a value is incomplete, the value
// itself reports its length, and bytes after it are not counted.
func TestValueLen(t *testing.T) {
	for name, v := range valueLenValues(t) {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < len(v); i++ {
				if n, err := codec.ValueLen(v[:i]); n != 0 || err != codec.ErrIncomplete {
					t.Fatalf("prefix of %d bytes: %d, %v; want ErrIncomplete", i, n, err)
				}
			}
			if n, err := codec.ValueLen(v); n != len(v) || err != nil {
				t.Fatalf("whole: %d, %v; want %d", n, err, len(v))
			}
			for _, tail := range []string{"00", "c1", "dbffffffff", "91"} {
				in := append(bytes.Clone(v), mustHex(t, tail)...)
				if n, err := codec.ValueLen(in); n != len(v) || err != nil {
					t.Fatalf("with %s after: %d, %v; want %d", tail, n, err, len(v))
				}
			}
			if n := skipLen(t, v); n != len(v) {
				t.Fatalf("msgpack/v5 skips %d bytes, want %d", n, len(v))
			}
		})
	}
}

// TestValueLenStream splits concatenated values, as a reader of arguments
// sent without an array header does.
func TestValueLenStream(t *testing.T) {
	in := vectors.Get("call_p1_john_doe")[5:] // "John", "Doe"
	var got []string
	for len(in) > 0 {
		n, err := codec.ValueLen(in)
		if err != nil {
			t.Fatal(err)
		}
		var s string
		if err := codec.Unmarshal(in[:n], &s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
		in = in[n:]
	}
	if strings.Join(got, " ") != "John Doe" {
		t.Fatalf("got %q", got)
	}
}

// TestValueLenMalformed: input that no more bytes can make a value is an
// error other than ErrIncomplete.
func TestValueLenMalformed(t *testing.T) {
	tests := map[string][]byte{
		"0xc1":                 mustHex(t, "c1"),
		"0xc1 in an array":     mustHex(t, "91c1"),
		"0xc1 as a map value":  mustHex(t, "82a161c1"),
		"0xc1 in a long array": mustHex(t, "ddffffffff01c1"),
		"0xc1 late":            mustHex(t, "94010203c1"),
		"too deep":             append(bytes.Repeat([]byte{0x91}, 1025), 0x01),
		"too deep, truncated":  bytes.Repeat([]byte{0x91}, 1025),
		"too deep, wide":       append(bytes.Repeat([]byte{0xdc, 0x00, 0x01}, 1100), 0x01),
	}
	for name, in := range tests {
		n, err := codec.ValueLen(in)
		if err == nil || errors.Is(err, codec.ErrIncomplete) || n != 0 {
			t.Errorf("%s: %d, %v; want a malformed error", name, n, err)
		}
	}
}

// TestValueLenHostileLengths: declared lengths far beyond the input are
// incomplete, and ValueLen allocates nothing for them (nor for anything).
func TestValueLenHostileLengths(t *testing.T) {
	tests := []string{"ddffffffff01", "dcffff01", "dfffffffffa101", "dbffffffff61", "c6ffffffff61", "c9ffffffff0161", "91ddffffffff01", "dd0000000191"}
	for _, hx := range tests {
		in := mustHex(t, hx)
		if n, err := codec.ValueLen(in); n != 0 || err != codec.ErrIncomplete {
			t.Errorf("%s: %d, %v; want ErrIncomplete", hx, n, err)
		}
		if allocs := testing.AllocsPerRun(100, func() { _, _ = codec.ValueLen(in) }); allocs != 0 {
			t.Errorf("%s: %v allocations", hx, allocs)
		}
	}
	for name, v := range valueLenValues(t) {
		if allocs := testing.AllocsPerRun(10, func() { _, _ = codec.ValueLen(v) }); allocs != 0 {
			t.Errorf("%s: %v allocations", name, allocs)
		}
	}
}

// skipLen returns how many bytes msgpack/v5's Skip consumes from b.
func skipLen(tb testing.TB, b []byte) int {
	tb.Helper()
	r := bytes.NewReader(b)
	if err := msgpack.NewDecoder(r).Skip(); err != nil {
		tb.Fatalf("msgpack/v5 Skip(%x): %v", b, err)
	}
	return len(b) - r.Len()
}

// FuzzValueLen checks ValueLen on arbitrary input against itself (prefixes,
// trailing bytes) and against msgpack/v5's Skip.
func FuzzValueLen(f *testing.F) {
	for _, v := range valueLenValues(f) {
		f.Add(v)
	}
	for _, v := range vectors.All() {
		if v.IsMsgpack() {
			f.Add(v.Bytes)
		} else if len(v.Bytes) > 5 {
			f.Add(v.Bytes[5:])
		}
	}
	f.Add(mustHex(f, "91c1"))
	f.Add(mustHex(f, "ddffffffff01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := codec.ValueLen(data)
		more := append(bytes.Clone(data), 0x01, 0xc1, 0xdb, 0xff)
		switch {
		case err == nil:
			checkValueLenComplete(t, data, more, n)
		case err == codec.ErrIncomplete:
			checkValueLenIncomplete(t, data, n)
		default:
			checkValueLenMalformed(t, more, n, err)
		}
	})
}

// checkValueLenComplete checks a value of n bytes that ValueLen found at the
// start of data: alone it has the same length, one byte short it is
// incomplete, the bytes after it in more are not counted, and msgpack/v5's
// Skip agrees.
func checkValueLenComplete(t *testing.T, data, more []byte, n int) {
	t.Helper()
	if n <= 0 || n > len(data) {
		t.Fatalf("length %d of %d bytes", n, len(data))
	}
	if m, err := codec.ValueLen(data[:n]); m != n || err != nil {
		t.Fatalf("value alone: %d, %v; want %d", m, err, n)
	}
	if m, err := codec.ValueLen(data[:n-1]); m != 0 || err != codec.ErrIncomplete {
		t.Fatalf("value minus a byte: %d, %v", m, err)
	}
	if m, err := codec.ValueLen(more); m != n || err != nil {
		t.Fatalf("with bytes after: %d, %v; want %d", m, err, n)
	}
	if s := skipLen(t, data); s != n {
		t.Fatalf("msgpack/v5 skips %d bytes, ValueLen says %d", s, n)
	}
}

// checkValueLenIncomplete checks data that ValueLen found incomplete, with
// length n: the length is 0 and every prefix is incomplete too.
func checkValueLenIncomplete(t *testing.T, data []byte, n int) {
	t.Helper()
	if n != 0 {
		t.Fatalf("incomplete with length %d", n)
	}
	for i := 0; i < len(data); i++ {
		if _, err := codec.ValueLen(data[:i]); err != codec.ErrIncomplete {
			t.Fatalf("prefix %d of an incomplete value: %v", i, err)
		}
	}
}

// checkValueLenMalformed checks input that ValueLen rejected with err and
// length n: the length is 0, err is not ErrIncomplete, and more, the input
// with bytes after it, fails with the same error.
func checkValueLenMalformed(t *testing.T, more []byte, n int, err error) {
	t.Helper()
	if n != 0 || errors.Is(err, codec.ErrIncomplete) {
		t.Fatalf("error %v with length %d", err, n)
	}
	if _, err2 := codec.ValueLen(more); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("bytes after a malformed value: %v, was %v", err2, err)
	}
}
