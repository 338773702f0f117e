package codec_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
)

// benchArgs are argument lists of growing weight, shared by the encoding and
// decoding benchmarks. new returns fresh pointers to decode them into.
var benchArgs = []struct {
	name string
	args []any
	new  func() []any
}{
	{"int64x2", []any{int64(-300), int64(5000000000)}, func() []any { return []any{new(int64), new(int64)} }},
	{"strx2", []any{"John", "Doe"}, func() []any { return []any{new(string), new(string)} }},
	{"str1k", []any{strings.Repeat("x", 1024)}, func() []any { return []any{new(string)} }},
	{"bytearray1k", []any{codec.ByteArray(bytes.Repeat([]byte{7, 200}, 512))}, func() []any { return []any{new(codec.ByteArray)} }},
	{"struct", []any{pair{1, "x"}, int64(2)}, func() []any { return []any{new(pair), new(int64)} }},
}

func BenchmarkAppendArgs(b *testing.B) {
	for _, bc := range benchArgs {
		b.Run(bc.name, func(b *testing.B) {
			buf, err := codec.AppendArgs(nil, bc.args...)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf, _ = codec.AppendArgs(buf[:0], bc.args...)
			}
		})
	}
}

func BenchmarkDecodeArgs(b *testing.B) {
	for _, bc := range benchArgs {
		b.Run(bc.name, func(b *testing.B) {
			payload, err := codec.AppendArgs(nil, bc.args...)
			if err != nil {
				b.Fatal(err)
			}
			dst := bc.new()
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := codec.DecodeArgs(payload, dst...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
