package main

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
)

// TestJSONToMsgpack: integers in their smallest form, other numbers as
// float64, objects as maps in the order written.
func TestJSONToMsgpack(t *testing.T) {
	for _, tc := range []struct {
		json string
		want []byte
	}{
		{`1`, []byte{0x01}},
		{`-1`, []byte{0xff}},
		{`300`, []byte{0xcd, 0x01, 0x2c}},
		{`-300`, []byte{0xd1, 0xfe, 0xd4}},
		{`18446744073709551615`, []byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{`1.0`, []byte{0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}},
		{`1e0`, []byte{0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}},
		{`null`, []byte{0xc0}},
		{`true`, []byte{0xc3}},
		{`"ab"`, []byte{0xa2, 'a', 'b'}},
		{`[1,[]]`, []byte{0x92, 0x01, 0x90}},
		{`{"b":1,"a":2}`, []byte{0x82, 0xa1, 'b', 0x01, 0xa1, 'a', 0x02}},
	} {
		got, err := jsonToMsgpack(nil, tc.json)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("jsonToMsgpack(%s) = % x, %v; want % x", tc.json, got, err, tc.want)
		}
	}
	// Headers past the fix forms.
	long := "[" + string(bytes.Repeat([]byte("0,"), 19)) + "0]"
	got, err := jsonToMsgpack(nil, long)
	if err != nil || !bytes.Equal(got[:3], []byte{0xdc, 0, 20}) || len(got) != 23 {
		t.Errorf("an array of 20: % x, %v", got, err)
	}
}

// TestMsgpackToJSON: what a peer may answer, printed as JSON.
func TestMsgpackToJSON(t *testing.T) {
	enc := func(v any) []byte {
		b, err := codec.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{enc(int64(-129)), "-129"},
		{enc(int64(math.MinInt64)), "-9223372036854775808"},
		{enc(uint64(math.MaxUint64)), "18446744073709551615"},
		{enc(float32(0.1)), "0.1"},
		{enc(2.5), "2.5"},
		{enc(math.NaN()), `"NaN"`},
		{enc(math.Inf(-1)), `"-Infinity"`},
		{enc([]byte("hi")), `"aGk="`},
		{enc(codec.ByteArray("hi")), `[104,105]`},
		{enc(map[int]string{7: "seven"}), `{"7":"seven"}`},
		{enc(struct {
			A string
			B []any
		}{"x", []any{nil, true}}), `["x",[null,true]]`},
		{[]byte{0xd4, 0x05, 0xaa}, `{"ext":5,"data":"qg=="}`},
		{[]byte{0x01, 0xa1, 'a'}, "1\n\"a\""}, // two values, two lines
	} {
		got, err := msgpackToJSON(nil, tc.in)
		if err != nil || string(got) != tc.want+"\n" {
			t.Errorf("msgpackToJSON(% x) = %q, %v; want %q", tc.in, got, err, tc.want+"\n")
		}
	}
	for _, bad := range [][]byte{{0xc1}, {0x92, 0x01}, {0xa5, 'a'}, {0xcd, 0x01}, {0xdc, 0xff}} {
		if got, err := msgpackToJSON(nil, bad); err == nil {
			t.Errorf("msgpackToJSON(% x) = %q, want an error", bad, got)
		}
	}
}

// FuzzMsgpackToJSON: any bytes either fail or print valid JSON lines,
// without panicking.
func FuzzMsgpackToJSON(f *testing.F) {
	f.Add([]byte{0x82, 0xa1, 'a', 0x01, 0x01, 0x90})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := msgpackToJSON(nil, b)
		if err != nil {
			return
		}
		for _, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
			if len(b) > 0 && !json.Valid(line) {
				t.Fatalf("% x printed %q, not JSON", b, line)
			}
		}
	})
}
