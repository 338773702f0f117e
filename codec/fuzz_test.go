package codec_test

import (
	"bytes"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/vectors"
)

// FuzzDecodeArgs decodes arbitrary payloads into a mix of targets: it must
// never panic, and whatever decodes must re-encode to the same values.
func FuzzDecodeArgs(f *testing.F) {
	for _, v := range vectors.All() {
		if v.IsMsgpack() {
			f.Add(v.Bytes)
		} else if len(v.Bytes) > 5 && v.Bytes[0] != 0 && v.Bytes[0] != 3 {
			f.Add(v.Bytes[5:])
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var (
			s  string
			i  int64
			u  uint8
			ba codec.ByteArray
			p  pair
			a  any
		)
		for _, dst := range [][]any{{&s}, {&i, &i}, {&u}, {&ba}, {&p}, {&a}, {&s, &s}} {
			_ = codec.DecodeArgs(payload, dst...)
		}
		if err := codec.DecodeArgs(payload, &i, &ba); err == nil {
			out, err := codec.AppendArgs(nil, i, ba)
			if err != nil {
				t.Fatal(err)
			}
			var i2 int64
			var ba2 codec.ByteArray
			if err := codec.DecodeArgs(out, &i2, &ba2); err != nil || i2 != i || !bytes.Equal(ba2, ba) {
				t.Fatalf("round trip of %x: %x: %d %x %v", payload, out, i2, ba2, err)
			}
		}
	})
}
