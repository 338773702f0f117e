package codec_test

//lint:file-ignore U1000 msgpack reads the _msgpack fields' tags

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/vectors"
)

// The golden vectors' struct P { a: u8, b: String }, in both forms.
type pArray struct {
	A int    `msgpack:"a"`
	B string `msgpack:"b"`
}

type pMap struct {
	_msgpack struct{} `msgpack:",as_map"`
	A        int      `msgpack:"a"`
	B        string   `msgpack:"b"`
}

// TestAsMapGoldenVectors: a struct is an array as rmp-serde's to_vec writes
// it (msgpack_struct), one marked as_map a map as its to_vec_named writes
// it (msgpack_struct_named); each form decodes from both.
func TestAsMapGoldenVectors(t *testing.T) {
	for _, tc := range []struct {
		v      any
		vector string
	}{
		{pArray{A: 1, B: "x"}, "msgpack_struct"},
		{pMap{A: 1, B: "x"}, "msgpack_struct_named"},
		{&pMap{A: 1, B: "x"}, "msgpack_struct_named"},
	} {
		got, err := codec.Marshal(tc.v)
		if err != nil || !bytes.Equal(got, vectors.Get(tc.vector)) {
			t.Errorf("%T: %x, %v; want %s %x", tc.v, got, err, tc.vector, vectors.Get(tc.vector))
		}
	}
	for _, vector := range []string{"msgpack_struct", "msgpack_struct_named"} {
		var a pArray
		var m pMap
		if err := codec.Unmarshal(vectors.Get(vector), &a); err != nil || a != (pArray{A: 1, B: "x"}) {
			t.Errorf("%s into an array struct: %+v, %v", vector, a, err)
		}
		if err := codec.Unmarshal(vectors.Get(vector), &m); err != nil || m.A != 1 || m.B != "x" {
			t.Errorf("%s into an as_map struct: %+v, %v", vector, m, err)
		}
	}
}

type userV1 struct {
	_msgpack struct{} `msgpack:",as_map"`
	Name     string
	Email    string
}

type userV2 struct {
	_msgpack struct{} `msgpack:",as_map"`
	ID       int      // added, and first
	Email    string
	Name     string
	Tags     []string `msgpack:"tags,omitempty"`
}

// TestAsMapEvolves: a field added, and the fields reordered, on one side:
// each version decodes the other's value (an array would fail with "number
// of fields in array-encoded struct has changed").
func TestAsMapEvolves(t *testing.T) {
	b, err := codec.Marshal(userV2{ID: 7, Email: "ada@example.com", Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	var old userV1
	if err := codec.Unmarshal(b, &old); err != nil || old.Name != "Ada" || old.Email != "ada@example.com" {
		t.Fatalf("v2 -> v1: %+v, %v", old, err)
	}
	b, err = codec.Marshal(userV1{Name: "Grace", Email: "grace@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var nu userV2
	if err := codec.Unmarshal(b, &nu); err != nil || nu.Name != "Grace" || nu.ID != 0 {
		t.Fatalf("v1 -> v2: %+v, %v", nu, err)
	}
	// omitempty leaves out the empty Tags: {"ID": 7, "Email": "", "Name": ""}.
	if got := fmt.Sprintf("%x", mustMarshal(t, userV2{ID: 7})); got != "83a2494407a5456d61696ca0a44e616d65a0" {
		t.Errorf("omitempty: %s", got)
	}
}

type inner struct{ X, Y int } // an array
type base struct{ Kind string }

type outer struct {
	_msgpack struct{} `msgpack:",as_map"`
	base              // inlined
	In       inner
	Skip     int `msgpack:"-"`
	More     []pMap
	Ptr      *pMap
}

// TestAsMapNesting: the mark holds for the type wherever it is reached
// (slices, pointers, fields); an unmarked struct inside stays an array;
// an embedded struct is inlined and "-" leaves a field out.
func TestAsMapNesting(t *testing.T) {
	v := outer{base: base{Kind: "k"}, In: inner{1, 2}, Skip: 9, More: []pMap{{A: 1, B: "x"}}, Ptr: &pMap{A: 1, B: "x"}}
	got := mustMarshal(t, v)
	named := fmt.Sprintf("%x", vectors.Get("msgpack_struct_named"))
	// {"Kind": "k", "In": [1, 2], "More": [{a:1,b:x}], "Ptr": {a:1,b:x}}
	want := "84" + "a44b696e64" + "a16b" + "a2496e" + "920102" + "a44d6f7265" + "91" + named + "a3507472" + named
	if fmt.Sprintf("%x", got) != want {
		t.Errorf("got  %x\nwant %s", got, want)
	}
	var back outer
	if err := codec.Unmarshal(got, &back); err != nil || back.Kind != "k" || back.In != (inner{1, 2}) || len(back.More) != 1 || back.Ptr == nil || back.Ptr.B != "x" || back.Skip != 0 {
		t.Errorf("decoded back: %+v, %v", back, err)
	}
}

type decodedFirst struct {
	In lateMap
}

type lateMap struct {
	_msgpack struct{} `msgpack:",as_map"`
	V        int
}

// TestAsMapAfterDecodingFirst: a type first decoded (which builds its
// fields' encoders too) still encodes its as_map field as a map.
func TestAsMapAfterDecodingFirst(t *testing.T) {
	in := []byte{0x91, 0x81, 0xa1, 'V', 0x05} // [{"V": 5}]
	var d decodedFirst
	if err := codec.Unmarshal(in, &d); err != nil || d.In.V != 5 {
		t.Fatalf("decode: %+v, %v", d, err)
	}
	if got := mustMarshal(t, d); !bytes.Equal(got, in) {
		t.Errorf("encode after decode: %x, want %x", got, in)
	}
}

// A struct marked as_map crosses as a map, so each side may add fields.
func Example_asMap() {
	type User struct {
		_msgpack struct{} `msgpack:",as_map"`
		Name     string   `msgpack:"name"`
		Age      int      `msgpack:"age,omitempty"`
	}
	b, _ := codec.Marshal(User{Name: "Ada"})
	fmt.Printf("%x\n", b) // {"name": "Ada"}

	var older struct { // a peer that has never heard of Age
		_msgpack struct{} `msgpack:",as_map"`
		Name     string   `msgpack:"name"`
	}
	b, _ = codec.Marshal(User{Name: "Grace", Age: 85})
	err := codec.Unmarshal(b, &older)
	fmt.Println(older.Name, err)
	// Output:
	// 81a46e616d65a3416461
	// Grace <nil>
}
