package codec_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
)

// Named types take msgpack/v5's reflection paths instead of the fast paths.
type (
	myInt    int64
	myUint   uint64
	myString string
	myFloat  float64
	myBytes  []byte
)

// TestIntegerForms checks that a reader accepts any integer form whose value
// fits the target (an invariant of the package documentation), through the
// fast and the reflection paths.
func TestIntegerForms(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want any
	}{
		{"int64_from_fixint", "05", int64(5)},
		{"int64_from_uint64", "cf0000000000000005", int64(5)},
		{"int64_from_uint8", "ccff", int64(255)},
		{"int64_from_int8", "d0fb", int64(-5)},
		{"int64_from_negfix", "fb", int64(-5)},
		{"int64_max_from_uint64", "cf7fffffffffffffff", int64(math.MaxInt64)},
		{"uint8_from_int8", "d005", uint8(5)},
		{"uint8_from_int64", "d300000000000000ff", uint8(255)},
		{"uint16_from_uint32", "ce0000ffff", uint16(65535)},
		{"uint32_from_int16", "d10102", uint32(258)},
		{"uint64_max", "cfffffffffffffffff", uint64(math.MaxUint64)},
		{"int8_min_from_int64", "d3ffffffffffffff80", int8(-128)},
		{"int16_from_uint8", "cc80", int16(128)},
		{"int32_min", "d280000000", int32(math.MinInt32)},
		{"int_from_uint32", "ceffffffff", int(math.MaxUint32)},
		{"uint_from_fixint", "07", uint(7)},
		{"float64_from_int", "d1fed4", float64(-300)},
		{"float64_from_float32", "ca3fc00000", 1.5},
		{"float32_from_float64", "cb3ff8000000000000", float32(1.5)},
		{"float32_from_uint", "cd012c", float32(300)},
		{"bool_false", "c2", false},
		{"string_from_bin", "c4024869", "Hi"},
		{"string_str16", "da0002" + "4869", "Hi"},
		{"myInt_from_uint64", "cf000000012a05f200", myInt(5000000000)},
		{"myUint_from_int8", "d005", myUint(5)},
		{"myFloat_from_float32", "ca3fc00000", myFloat(1.5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := reflect.New(reflect.TypeOf(tt.want))
			if err := codec.Unmarshal(mustHex(t, tt.hex), p.Interface()); err != nil {
				t.Fatal(err)
			}
			if got := p.Elem().Interface(); got != tt.want {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	var (
		i64 int64
		i8  int8
		u16 uint16
		u64 uint64
		f   float64
		b   bool
		s   string
		ba  codec.ByteArray
		p   pair
	)
	tests := []struct {
		name string
		hex  string
		dst  any
		eof  bool // the error is io.ErrUnexpectedEOF
	}{
		{"empty", "", &i64, true},
		{"trailing", "0101", &i64, false},
		{"int8_overflow", "cc80", &i8, false},
		{"int8_underflow", "d1ff7f", &i8, false},
		{"uint16_overflow", "ce00010000", &u16, false},
		{"uint64_negative", "d3ffffffffffffffff", &u64, false},
		{"int64_overflow", "cf8000000000000000", &i64, false},
		{"int_from_float", "cb3ff8000000000000", &i64, false},
		{"float_from_string", "a131", &f, false},
		{"float_truncated", "cb3ff8", &f, true},
		{"bool_from_int", "01", &b, false},
		{"bool_from_nil", "c0", &b, false},
		{"string_from_int", "01", &s, false},
		{"string_truncated", "d92861", &s, true},
		{"string_len_truncated", "da00", &s, true},
		{"bytearray_element_overflow", "930102cd0100", &ba, false},
		{"bytearray_element_negative", "91ff", &ba, false},
		{"bytearray_huge_length", "dd7fffffff01", &ba, true},
		{"bytearray_from_string", "a131", &ba, false},
		{"bytearray_bin_truncated", "c40501", &ba, true},
		{"struct_from_int", "01", &p, false},
		{"nil_target", "01", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := codec.Unmarshal(mustHex(t, tt.hex), tt.dst)
			if err == nil {
				t.Fatal("Unmarshal succeeded")
			}
			if tt.eof && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("Unmarshal = %v, want io.ErrUnexpectedEOF", err)
			}
		})
	}
}

func TestByteArrayDecode(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want codec.ByteArray
	}{
		{"array", "930102ccc8", codec.ByteArray{1, 2, 200}},
		{"array_wide_ints", "93d001cd0002d300000000000000c8", codec.ByteArray{1, 2, 200}},
		{"array_empty", "90", codec.ByteArray{}},
		{"bin", "c4030102c8", codec.ByteArray{1, 2, 200}},
		{"bin_empty", "c400", codec.ByteArray{}},
		{"nil", "c0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustHex(t, tt.hex)
			var got codec.ByteArray
			if err := codec.Unmarshal(in, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
			// Nested, through msgpack/v5 and DecodeMsgpack.
			var s struct{ B codec.ByteArray }
			if err := codec.Unmarshal(append([]byte{0x91}, in...), &s); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.B, tt.want) {
				t.Fatalf("nested: got %#v, want %#v", s.B, tt.want)
			}
			// Through a foreign decoder, without the package's reader.
			got = nil
			if err := codec.NewDecoder(&onlyReader{in}).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("NewDecoder: got %#v, want %#v", got, tt.want)
			}
			// Decoding never aliases the input.
			if len(got) > 0 {
				in[len(in)-1] ^= 0xff
				if got[len(got)-1] != tt.want[len(tt.want)-1] {
					t.Fatal("decoded ByteArray aliases its input")
				}
			}
		})
	}
}

func TestByteArrayDecodeErrorsNested(t *testing.T) {
	for _, h := range []string{"91930102cd0100", "9191ff", "91dd7fffffff01", "91a131"} {
		t.Run(h, func(t *testing.T) {
			var s struct{ B codec.ByteArray }
			if err := codec.Unmarshal(mustHex(t, h), &s); err == nil {
				t.Fatalf("Unmarshal(%s) succeeded: %#v", h, s)
			}
			if err := codec.NewDecoder(&onlyReader{mustHex(t, h)}).Decode(&s); err == nil {
				t.Fatalf("NewDecoder(%s) succeeded: %#v", h, s)
			}
		})
	}
}

// onlyReader hides every method but Read.
type onlyReader struct{ b []byte }

func (r *onlyReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestStructs(t *testing.T) {
	type inner struct {
		N int64
		V codec.ByteArray
	}
	type outer struct {
		A  uint8
		In inner
		P  *pair
		L  []string
		F  float32
	}
	v := outer{A: 1, In: inner{N: -300, V: codec.ByteArray{200}}, P: &pair{2, "y"}, L: []string{"a"}, F: 1.5}
	want := mustHex(t, "95"+"01"+"92d1fed491ccc8"+"9202a179"+"91a161"+"ca3fc00000")
	got, err := codec.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("Marshal = %x, want %x", got, want)
	}
	var back outer
	if err := codec.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, v) {
		t.Fatalf("Unmarshal = %#v, want %#v", back, v)
	}
}

// TestIntShortcutsMatchGeneralPath checks that Append and Unmarshal with an
// *int, which take a shortcut, agree with the general path (DecodeArgs,
// and an int inside a slice): same bytes, same values, failing on the same
// input; and that a nil *int encodes as nil.
func TestIntShortcutsMatchGeneralPath(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt64} {
		got, err := codec.Append(nil, &n)
		if err != nil {
			t.Fatal(err)
		}
		inSlice, err := codec.Append(nil, []int{n}) // fixarray header, then the general path's encoding
		if err != nil || !bytes.Equal(got, inSlice[1:]) {
			t.Errorf("%d: shortcut % x, general path % x (%v)", n, got, inSlice[1:], err)
		}
	}
	if got, err := codec.Append(nil, (*int)(nil)); err != nil || !bytes.Equal(got, []byte{0xc0}) {
		t.Errorf("nil *int: % x, %v; want c0", got, err)
	}
	for _, h := range []string{"05", "fb", "cc80", "cd0100", "ce00010000", "cf0000000000000005", "cfffffffffffffffff",
		"d080", "d1fed4", "d280000000", "d38000000000000000", "c0", "a161", "ca3fc00000", "", "cc", "0505"} {
		data := mustHex(t, h)
		var short, general int
		errShort := codec.Unmarshal(data, &short)
		errGeneral := codec.DecodeArgs(data, &general)
		if (errShort == nil) != (errGeneral == nil) || short != general {
			t.Errorf("%q: shortcut %d, %v; general path %d, %v", h, short, errShort, general, errGeneral)
		}
	}
}
