package codec_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
)

// packageWords are the prefixes of this module's packages (and of
// msgpack/v5) that an error's text may start with: once, and only there.
var packageWords = map[string]bool{"ipfi": true, "codec": true, "procedures": true, "msgpack": true, "wire": true, "guest": true, "actors": true, "core": true}

// checkNoRepeat fails if a "words: " segment of text appears twice, or a
// package prefix appears anywhere but at the start.
func checkNoRepeat(t testing.TB, text string) {
	t.Helper()
	seen := map[string]bool{}
	for i, seg := range strings.Split(text, ": ") {
		if seen[seg] {
			t.Errorf("%q says %q twice", text, seg)
		}
		seen[seg] = true
		if packageWords[seg] && i > 0 {
			t.Errorf("%q has the package prefix %q inside", text, seg)
		}
	}
}

// checkText fails unless err's text is want, with no repeated prefix.
func checkText(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error text\n  %q\nwant\n  %q", err.Error(), want)
	}
	checkNoRepeat(t, err.Error())
}

type shape3 struct{ A, B, C int }

type holder struct {
	Name  string
	Inner shape3
	List  []int
}

type withChan struct {
	N int
	C chan int
}

// TestDecodeArgsErrorInGoWords: an argument of the wrong type is named by
// its position and by Go's words for what came and what was wanted, with
// "codec: bad arguments" said once, and the error matches ErrArgs.
func TestDecodeArgsErrorInGoWords(t *testing.T) {
	var n int
	err := codec.DecodeArgs(mustHex(t, "a461626364"), &n) // "abcd"
	checkText(t, err, "codec: bad arguments: argument 1 of 1: got string, want int")
	if !errors.Is(err, codec.ErrArgs) {
		t.Errorf("%v does not match ErrArgs", err)
	}
	var s string
	err = codec.DecodeArgs(mustHex(t, "a17805"), &s, &n, &n)
	checkText(t, err, "codec: bad arguments: payload holds 2 values, want 3")
}

// TestUnmarshalNamesTypesInGoWords: what the input holds is said as a Go
// word (nil, bool, int, uint, float64, string, []byte, array, map, ext),
// never as a MessagePack code, and the target as its Go type, through the
// scalar fast paths and through msgpack/v5 alike.
func TestUnmarshalNamesTypesInGoWords(t *testing.T) {
	var (
		i   int
		i8  int8
		u16 uint16
		f32 float32
		s   string
		b   bool
		ba  codec.ByteArray
		sl  []int
		h   holder
		m   map[string]int
		arr [2]int
		b3  [3]byte
		as  []any
	)
	tests := []struct {
		name string
		hex  string
		dst  any
		want string
	}{
		{"string_into_int", "a461626364", &i, "codec: got string, want int"},
		{"nil_into_int", "c0", &i, "codec: got nil, want int"},
		{"bool_into_string", "c3", &s, "codec: got bool, want string"},
		{"positive_int_into_bool", "05", &b, "codec: got int, want bool"},
		{"uint_into_bool", "ccc8", &b, "codec: got uint, want bool"},
		{"negative_int_into_string", "ff", &s, "codec: got int, want string"},
		{"float64_into_int", "cb3ff8000000000000", &i, "codec: got float64, want int"},
		{"bin_into_int8", "c40161", &i8, "codec: got []byte, want int8"},
		{"array_into_uint16", "9101", &u16, "codec: got array, want uint16"},
		{"map_into_float32", "80", &f32, "codec: got map, want float32"},
		{"ext_into_int", "d40100", &i, "codec: got ext, want int"},
		{"string_into_bytearray", "a131", &ba, "codec: got string, want codec.ByteArray"},
		{"bytearray_element", "9201a178", &ba, "codec: codec.ByteArray[1]: got string, want uint8"},
		{"overflow_int8", "cd012c", &i8, "codec: 300 overflows int8"},
		{"overflow_int", "cfffffffffffffffff", &i, "codec: 18446744073709551615 overflows int"},
		{"bytearray_element_overflow", "930102cd0100", &ba, "codec: codec.ByteArray[2]: 256 overflows uint8"},
		{"slice_element", "9201a178", &sl, "codec: []int[1]: got string, want int"},
		{"struct_field", "93a16e9201029101", &h, "codec: codec_test.holder.Inner: struct codec_test.shape3 has 3 fields, got an array of 2"},
		{"struct_field_type", "9301930102039101", &h, "codec: codec_test.holder.Name: got int, want string"},
		{"struct_list_element", "93a16e930102039201c3", &h, "codec: codec_test.holder.List[1]: got bool, want int"},
		{"struct_from_map", "82a44e616d65a16ea44c69737491c2", &h, "codec: codec_test.holder.List[0]: got bool, want int"},
		{"map_value", "81a16ba178", &m, `codec: map[string]int["k"]: got string, want int`},
		{"long_array", "93010203", &arr, "codec: got an array of 3, want [2]int"},
		{"struct_from_string", "a178", &h, "codec: got string, want codec_test.holder"},
		{"string_into_short_byte_array", "a568656c6c6f", &b3, "codec: got string of 5 bytes, want [3]uint8"},
		{"any_map_with_int_key", "91810102", &as, "codec: []interface {}[0][key]: got int, want string"},
		{"struct_map_with_int_key", "810102", &h, "codec: codec_test.holder[key]: got int, want string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := codec.Unmarshal(mustHex(t, tt.hex), tt.dst)
			checkText(t, err, tt.want)
			if strings.Contains(err.Error(), "0x") || strings.Contains(err.Error(), "MessagePack") {
				t.Errorf("%q names a MessagePack code", err)
			}
		})
	}
}

// TestStructCountsInShapeErrors: a struct decoded from an array of the
// wrong length says how many fields it has and how many values came,
// where msgpack/v5 only says that the number changed.
func TestStructCountsInShapeErrors(t *testing.T) {
	var s shape3
	err := codec.Unmarshal(mustHex(t, "920102"), &s)
	checkText(t, err, "codec: struct codec_test.shape3 has 3 fields, got an array of 2")
	var n int
	err = codec.DecodeArgs(mustHex(t, "019401020304"), &n, &s)
	checkText(t, err, "codec: bad arguments: argument 2 of 2: struct codec_test.shape3 has 3 fields, got an array of 4")
	if !errors.Is(err, codec.ErrArgs) {
		t.Errorf("%v does not match ErrArgs", err)
	}
}

// TestTruncatedInputStillUnexpectedEOF: the texts change, not what
// truncated input matches.
func TestTruncatedInputStillUnexpectedEOF(t *testing.T) {
	var h holder
	for _, hex := range []string{"93a16e9301", "d92861"} {
		if err := codec.Unmarshal(mustHex(t, hex), &h); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Unmarshal(%s) = %v, want io.ErrUnexpectedEOF", hex, err)
		}
	}
}

// TestEncodeErrorsInGoWords: a value that cannot be encoded is named by
// its Go type, once prefixed, matching ErrEncode; AppendArgs names the
// argument's position.
func TestEncodeErrorsInGoWords(t *testing.T) {
	_, err := codec.Marshal(make(chan int))
	checkText(t, err, "codec: cannot encode chan int")
	if !errors.Is(err, codec.ErrEncode) {
		t.Errorf("%v does not match ErrEncode", err)
	}
	_, err = codec.Marshal(withChan{})
	checkText(t, err, "codec: cannot encode codec_test.withChan, which holds a chan int")

	dst := []byte{0xee}
	out, err := codec.AppendArgs(dst, 1, func() {})
	checkText(t, err, "codec: argument 2 of 2: cannot encode func()")
	if !errors.Is(err, codec.ErrEncode) {
		t.Errorf("%v does not match ErrEncode", err)
	}
	if len(out) != 1 || out[0] != 0xee {
		t.Errorf("AppendArgs on error = %x, want dst as it was", out)
	}
}

// TestValueLenErrorPrefixedOnce: the walk's own errors carry the package
// prefix once.
func TestValueLenErrorPrefixedOnce(t *testing.T) {
	_, err := codec.ValueLen([]byte{0xc1})
	checkText(t, err, "codec: invalid MessagePack code 0xc1")
}

// FuzzDecodeErrorsInGoWords decodes arbitrary input into types that
// msgpack/v5 decodes (structs, slices, maps, arrays, pointers, scalars):
// every failure is said in Go's words, "codec: " once at the start, never
// with msgpack/v5's MessagePack codes, and decoding never panics.
func FuzzDecodeErrorsInGoWords(f *testing.F) {
	for _, hex := range []string{"93a16e9201029101", "9301930102039101", "82a44e616d65a16ea44c69737491c2", "81a16ba178", "93010203", "920102", "c0", "91c1"} {
		f.Add(mustHex(f, hex))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var (
			h   holder
			m   map[string][]int
			arr [2]int8
			ps  *shape3
			f32 []float32
			bs  [][]byte
			mi  map[int]bool
			a   []any
		)
		for _, dst := range []any{&h, &m, &arr, &ps, &f32, &bs, &mi, &a} {
			err := codec.Unmarshal(in, dst)
			if err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
				continue
			}
			text := err.Error()
			if !strings.HasPrefix(text, "codec: ") || strings.Count(text, "codec: ") != 1 ||
				strings.Contains(text, "code=") || strings.Contains(text, "msgpack") {
				t.Errorf("Unmarshal(%x, %T) = %q", in, dst, text)
			}
		}
	})
}
