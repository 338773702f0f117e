package codec_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
)

func TestArgs(t *testing.T) {
	tests := []struct {
		name   string
		args   []any
		vector string // a call vector whose payload is the encoding, or ""
		hex    string // otherwise the expected encoding
	}{
		{"john_doe", []any{"John", "Doe"}, "call_p1_john_doe", ""},
		{"neg300_5e9", []any{int64(-300), int64(5000000000)}, "call_p4_neg300_5e9", "d1fed4cf000000012a05f200"},
		{"1_2", []any{int64(1), int64(2)}, "call_p4_1_2", "0102"},
		{"neg7_2", []any{int64(-7), int64(2)}, "call_p4_neg7_2", "f902"},
		{"echo_1_2_200", []any{codec.ByteArray{1, 2, 200}}, "call_p2_echo_1_2_200", "930102ccc8"},
		{"u32_3", []any{uint32(3)}, "call_p3_n3", "03"},
		{"u32_0", []any{uint32(0)}, "call_p3_n0", "00"},
		{"none", nil, "call_p0_noargs", ""},
		{"struct_and_int", []any{pair{1, "x"}, int64(-1)}, "", "9201a178ff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := argsWantEncoding(t, tt.vector, tt.hex)
			got, err := codec.AppendArgs(nil, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendArgs = %x, want %x", got, want)
			}

			// Appending keeps what dst held.
			got, err = codec.AppendArgs([]byte{0xee}, tt.args...)
			if err != nil || !bytes.Equal(got, append([]byte{0xee}, want...)) {
				t.Fatalf("AppendArgs(dst) = %x, %v", got, err)
			}

			checkDecodeArgsTyped(t, want, tt.args)
		})
	}
}

// argsWantEncoding returns the expected encoding of a TestArgs case: the
// payload of the call vector, or the bytes of hex, which must agree when
// both are given.
func argsWantEncoding(t *testing.T, vector, hex string) []byte {
	t.Helper()
	var want []byte
	if vector != "" {
		want = payload(t, vector)
	}
	if hex != "" {
		h := mustHex(t, hex)
		if want != nil && !bytes.Equal(want, h) {
			t.Fatalf("vector %s payload %x differs from %s", vector, want, hex)
		}
		want = h
	}
	return want
}

// checkDecodeArgsTyped decodes enc into new values of the types of args and
// checks that each equals its argument.
func checkDecodeArgsTyped(t *testing.T, enc []byte, args []any) {
	t.Helper()
	ptrs := make([]any, len(args))
	for i, a := range args {
		ptrs[i] = reflect.New(reflect.TypeOf(a)).Interface()
	}
	if err := codec.DecodeArgs(enc, ptrs...); err != nil {
		t.Fatalf("DecodeArgs: %v", err)
	}
	for i, p := range ptrs {
		if got := reflect.ValueOf(p).Elem().Interface(); !reflect.DeepEqual(got, args[i]) {
			t.Errorf("argument %d = %#v, want %#v", i, got, args[i])
		}
	}
}

func TestDecodeArgsErrors(t *testing.T) {
	var (
		s1, s2 string
		i1     int64
		u8     uint8
		p      pair
	)
	tests := []struct {
		name    string
		payload string
		dst     []any
	}{
		{"fewer_values", "a44a6f686e", []any{&s1, &s2}},
		{"empty_payload", "", []any{&i1}},
		{"trailing_bytes", "010203", []any{&i1}},
		{"trailing_no_dst", "01", nil},
		{"wrong_type", "a44a6f686e", []any{&i1}},
		{"truncated_string", "a44a6f", []any{&s1}},
		{"truncated_int", "cd01", []any{&i1}},
		{"overflow_u8", "cd012c", []any{&u8}},
		{"negative_u8", "ff", []any{&u8}},
		{"nil_int", "c0", []any{&i1}},
		{"uint64_overflows_int64", "cfffffffffffffffff", []any{&i1}},
		{"struct_wrong_arity", "9101", []any{&p}},
		{"struct_truncated", "9201", []any{&p}},
		{"not_a_pointer", "01", []any{i1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := codec.DecodeArgs(mustHex(t, tt.payload), tt.dst...)
			if !errors.Is(err, codec.ErrArgs) {
				t.Fatalf("DecodeArgs = %v, want an error wrapping ErrArgs", err)
			}
		})
	}
}
