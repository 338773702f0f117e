package codec_test

import (
	"bytes"
	"encoding/hex"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/vectors"
)

// pair is the Rust struct P { a: u8, b: String } (and the tuple (u8, String)),
// without any as_array tag: the codec encodes every struct as an array.
type pair struct {
	A uint8
	B string
}

// namedPair carries the field names rmp_serde::to_vec_named writes.
type namedPair struct {
	A uint8  `msgpack:"a"`
	B string `msgpack:"b"`
}

// enumStruct is the body of the struct variant E::C { x: u32 }.
type enumStruct struct{ X uint32 }

func u8p(v uint8) *uint8 { return &v }

// valueCases maps each msgpack_* vector to the Go values that must encode to
// it and decode back from it.
var valueCases = []struct {
	vector string
	values []any
}{
	{"msgpack_unit", []any{nil, struct{}{}}},
	{"msgpack_struct", []any{pair{1, "x"}, namedPair{1, "x"}}},
	{"msgpack_enum_unit", []any{"A"}},
	{"msgpack_enum_newtype", []any{map[string]uint8{"B": 5}, map[string]int64{"B": 5}}},
	{"msgpack_enum_struct", []any{map[string]enumStruct{"C": {7}}}},
	{"msgpack_option_none", []any{(*uint8)(nil), nil}},
	{"msgpack_option_some5", []any{u8p(5), uint8(5), int64(5)}},
	{"msgpack_bool_true", []any{true}},
	{"msgpack_f64_1_5", []any{1.5}},
	{"msgpack_f32_1_5", []any{float32(1.5)}},
	{"msgpack_u64_max", []any{uint64(math.MaxUint64)}},
	{"msgpack_i64_min", []any{int64(math.MinInt64)}},
	{"msgpack_u16_300", []any{uint16(300), int64(300), 300}},
	{"msgpack_str40_hdr", []any{strings.Repeat("a", 40)}},
	{"msgpack_tuple_u8_str", []any{pair{1, "x"}}},
	{"msgpack_vec_u8_empty", []any{codec.ByteArray{}}},
}

func TestVectorsCovered(t *testing.T) {
	covered := map[string]bool{"msgpack_struct_named": true} // decode-only, see TestStructFromMap
	for _, c := range valueCases {
		covered[c.vector] = true
	}
	for _, v := range vectors.All() {
		if v.IsMsgpack() && !covered[v.Name] {
			t.Errorf("vector %s has no test case", v.Name)
		}
	}
}

func TestValueVectors(t *testing.T) {
	for _, c := range valueCases {
		want := vectors.Get(c.vector)
		for _, v := range c.values {
			t.Run(c.vector+"/"+typeName(v), func(t *testing.T) {
				got, err := codec.Marshal(v)
				if err != nil {
					t.Fatalf("Marshal(%#v): %v", v, err)
				}
				if isHeaderOnly(c.vector) {
					if !bytes.HasPrefix(got, want) {
						t.Fatalf("Marshal(%#v) = %x, want prefix %x", v, got, want)
					}
				} else if !bytes.Equal(got, want) {
					t.Fatalf("Marshal(%#v) = %x, want %x", v, got, want)
				}
				checkDecode(t, got, v)
			})
		}
	}
}

// checkDecode decodes b into a new value of v's type and compares it with v.
func checkDecode(t *testing.T, b []byte, v any) {
	t.Helper()
	if v == nil {
		var got any
		if err := codec.Unmarshal(b, &got); err != nil {
			t.Fatalf("Unmarshal(%x) into any: %v", b, err)
		}
		if got != nil {
			t.Fatalf("Unmarshal(%x) into any = %#v, want nil", b, got)
		}
		return
	}
	p := reflect.New(reflect.TypeOf(v))
	if err := codec.Unmarshal(b, p.Interface()); err != nil {
		t.Fatalf("Unmarshal(%x) into %T: %v", b, p.Interface(), err)
	}
	if got := p.Elem().Interface(); !reflect.DeepEqual(got, v) {
		t.Fatalf("Unmarshal(%x) = %#v, want %#v", b, got, v)
	}
}

func isHeaderOnly(name string) bool {
	for _, v := range vectors.All() {
		if v.Name == name {
			return v.HeaderOnly
		}
	}
	return false
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}

func TestStr40Length(t *testing.T) {
	got, err := codec.Marshal(strings.Repeat("a", 40))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 42 {
		t.Fatalf("len = %d, want 42 (the vector's description)", len(got))
	}
}

func TestStructFromMap(t *testing.T) {
	var got namedPair
	if err := codec.Unmarshal(vectors.Get("msgpack_struct_named"), &got); err != nil {
		t.Fatal(err)
	}
	if want := (namedPair{1, "x"}); got != want {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

// payload returns the payload of a small call or response vector: the bytes
// after its 5-byte header (type, multiflag, u8 procedure, u8 call, u8 length).
func payload(tb testing.TB, name string) []byte {
	tb.Helper()
	b := vectors.Get(name)
	if len(b) < 5 || b[1]&0x3f != 0 || int(b[4]) != len(b)-5 {
		tb.Fatalf("%s is not a small single message: %x", name, b)
	}
	return b[5:]
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
