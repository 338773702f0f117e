package codec_test

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// bytesInputs are encodings a []byte target may meet: nil, str and bin of
// each width, empty ones, and values that are not bytes at all.
func bytesInputs() [][]byte {
	big := bytes.Repeat([]byte{'b'}, 70000)
	var in [][]byte
	for _, v := range []any{nil, "", "hello", string(big[:300]), string(big), []byte{}, []byte("hi"), big[:300], big} {
		b, err := msgpack.Marshal(v)
		if err != nil {
			panic(err)
		}
		in = append(in, b)
	}
	return append(in,
		[]byte{0x92, 0x01, 0x02},      // an array
		[]byte{0x05},                  // an integer
		[]byte{0xc4},                  // bin8 without its length
		[]byte{0xc5, 0x00, 0x09, 'x'}, // bin16 cut short
		[]byte{},                      // nothing
	)
}

// TestBytesMatchMsgpack: decoding into a []byte (the fast path) gives what
// msgpack/v5 gives, value, nil-ness and error-ness, into a nil slice and
// into one with room.
func TestBytesMatchMsgpack(t *testing.T) {
	for _, in := range bytesInputs() {
		for _, start := range [][]byte{nil, make([]byte, 0, 8)} {
			var got, want []byte
			got, want = start, start
			if start != nil {
				want = make([]byte, 0, 8)
			}
			gotErr := codec.Unmarshal(in, &got)
			wantErr := msgpackUnmarshal(in, &want)
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("%x: error %v, msgpack %v", in, gotErr, wantErr)
			}
			if gotErr == nil && (!bytes.Equal(got, want) || (got == nil) != (want == nil)) {
				t.Fatalf("%x: %x (nil %v), msgpack %x (nil %v)", in, got, got == nil, want, want == nil)
			}
		}
	}
}

// TestNoCopyAliasesLargeBytes: the NoCopy decoders let a []byte of 4 KiB or
// more alias the input, copy smaller ones, and copy into a slice with room;
// the plain decoders always copy.
func TestNoCopyAliasesLargeBytes(t *testing.T) {
	aliases := func(v, in []byte) bool {
		if len(v) == 0 {
			return false
		}
		start := uintptr(unsafe.Pointer(unsafe.SliceData(in)))
		p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
		return p >= start && p < start+uintptr(len(in))
	}
	for _, size := range []int{100, 4 << 10, 64 << 10} {
		in, err := codec.AppendArgs(nil, bytes.Repeat([]byte{7}, size))
		if err != nil {
			t.Fatal(err)
		}
		var plain, nc, room []byte
		if err := codec.DecodeArgs(in, &plain); err != nil || aliases(plain, in) || len(plain) != size {
			t.Fatalf("%d bytes: DecodeArgs aliased the payload or failed: %v", size, err)
		}
		if err := codec.DecodeArgsNoCopy(in, &nc); err != nil || aliases(nc, in) != (size >= 4<<10) || len(nc) != size {
			t.Fatalf("%d bytes: DecodeArgsNoCopy aliased = %v, want %v (%v)", size, aliases(nc, in), size >= 4<<10, err)
		}
		if cap(nc) != len(nc) {
			t.Fatalf("%d bytes: an aliasing slice has room beyond its value (cap %d)", size, cap(nc))
		}
		room = make([]byte, 0, size)
		if err := codec.UnmarshalNoCopy(in, &room); err != nil || aliases(room, in) {
			t.Fatalf("%d bytes: a slice with room was not decoded into: %v", size, err)
		}
	}
}

// FuzzBytes: the []byte fast path agrees with msgpack/v5 on any input.
func FuzzBytes(f *testing.F) {
	for _, in := range bytesInputs() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var got, want, nc []byte
		gotErr := codec.Unmarshal(in, &got)
		wantErr := msgpackUnmarshal(in, &want)
		ncErr := codec.UnmarshalNoCopy(in, &nc)
		if (gotErr == nil) != (wantErr == nil) || (ncErr == nil) != (wantErr == nil) {
			t.Fatalf("%x: error %v / %v, msgpack %v", in, gotErr, ncErr, wantErr)
		}
		if gotErr == nil && (!bytes.Equal(got, want) || !bytes.Equal(nc, want) || (got == nil) != (want == nil)) {
			t.Fatalf("%x: %x / %x, msgpack %x", in, got, nc, want)
		}
	})
}

// msgpackUnmarshal is msgpack.Unmarshal that, like codec.Unmarshal, fails
// when bytes remain after the value.
func msgpackUnmarshal(in []byte, v any) error {
	r := bytes.NewReader(in)
	if err := msgpack.NewDecoder(r).Decode(v); err != nil {
		return err
	}
	if r.Len() > 0 {
		return errors.New("trailing bytes")
	}
	return nil
}
