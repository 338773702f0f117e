package codec_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
)

// TestFastMatchesMsgpack checks that the package's own scalar encoders write
// exactly what the configured msgpack/v5 encoder writes for the same value
// under a named type (which takes the reflection path), at every boundary.
func TestFastMatchesMsgpack(t *testing.T) {
	ints := []int64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64}
	for _, n := range ints {
		compareEncodings(t, int64(n), myInt(n))
		var back int64
		if err := codec.Unmarshal(mustMarshal(t, n), &back); err != nil || back != n {
			t.Errorf("int64 %d round trip: %d, %v", n, back, err)
		}
	}
	uints := []uint64{0, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64}
	for _, n := range uints {
		compareEncodings(t, uint64(n), myUint(n))
	}
	for _, n := range []int{0, 1, 31, 32, 255, 256, 65535, 65536} {
		s := strings.Repeat("s", n)
		compareEncodings(t, s, myString(s))
		b := bytes.Repeat([]byte{9}, n)
		compareEncodings(t, b, myBytes(b))

		// ByteArray: the fast path against EncodeMsgpack on a foreign writer.
		ba := codec.ByteArray(bytes.Repeat([]byte{200}, n))
		var buf bytes.Buffer
		if err := codec.NewEncoder(&buf).Encode(ba); err != nil {
			t.Fatal(err)
		}
		if got := mustMarshal(t, ba); !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("ByteArray len %d: fast %x, msgpack %x", n, head(got), head(buf.Bytes()))
		}
	}
	compareEncodings(t, []byte(nil), myBytes(nil))
	for _, f := range []float64{0, 1, 1.5, -2, math.Inf(1)} {
		compareEncodings(t, f, myFloat(f))
	}
}

func compareEncodings(t *testing.T, fast, slow any) {
	t.Helper()
	a := mustMarshal(t, fast)
	b := mustMarshal(t, slow)
	if !bytes.Equal(a, b) {
		t.Errorf("%T: fast %x, msgpack %x", fast, head(a), head(b))
	}
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf).Encode(fast); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, buf.Bytes()) {
		t.Errorf("%T: Marshal %x, NewEncoder %x", fast, head(a), head(buf.Bytes()))
	}
}

func head(b []byte) []byte {
	if len(b) > 12 {
		return b[:12]
	}
	return b
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := codec.Marshal(v)
	if err != nil {
		tb.Fatalf("Marshal(%T): %v", v, err)
	}
	return b
}

func TestNilByteArray(t *testing.T) {
	if got := mustMarshal(t, codec.ByteArray(nil)); !bytes.Equal(got, []byte{0xc0}) {
		t.Fatalf("top level: %x, want c0", got)
	}
	if got := mustMarshal(t, struct{ B codec.ByteArray }{}); !bytes.Equal(got, []byte{0x91, 0xc0}) {
		t.Fatalf("nested: %x, want 91c0", got)
	}
}

func TestAppendErrorKeepsDst(t *testing.T) {
	dst := []byte{1, 2}
	got, err := codec.Append(dst, make(chan int))
	if err == nil {
		t.Fatal("Append(chan) succeeded")
	}
	if !bytes.Equal(got, []byte{1, 2}) {
		t.Fatalf("Append returned %x, want 0102", got)
	}
	got, err = codec.AppendArgs(dst, "ok", int64(300), func() {})
	if err == nil {
		t.Fatal("AppendArgs(func) succeeded")
	}
	if !bytes.Equal(got, []byte{1, 2}) {
		t.Fatalf("AppendArgs returned %x, want 0102", got)
	}
}

func TestAppendArgsEmpty(t *testing.T) {
	got, err := codec.AppendArgs(nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("AppendArgs() = %x, %v", got, err)
	}
}
