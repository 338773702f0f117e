package codec_test

import (
	"bytes"
	"reflect"
	"runtime"
	"testing"

	"github.com/ipfi-go/ipfi/codec"
)

// TestHostileLengths feeds values that declare far more elements than they
// hold, or nest absurdly deep: decoding must fail without allocating for the
// declared length or exhausting the stack.
func TestHostileLengths(t *testing.T) {
	deep := append(bytes.Repeat([]byte{0x91}, 100000), 0x01)
	tests := []struct {
		name string
		in   []byte
	}{
		{"array32", mustHex(t, "ddffffffff01")},
		{"array16", mustHex(t, "dcffff01")},
		{"map32", mustHex(t, "dfffffffffa101")},
		{"str32", mustHex(t, "dbffffffff61")},
		{"bin32", mustHex(t, "c6ffffffff61")},
		{"ext32", mustHex(t, "c9ffffffff0161")},
		{"nested_array32", mustHex(t, "91ddffffffff01")},
		{"deep", deep},
		{"invalid_code", mustHex(t, "91c1")},
	}
	targets := []any{new(any), new([]int64), new([]string), new(map[string]int), new([][]byte), new(pair), new(struct{ L []uint8 })}
	for _, tt := range tests {
		for _, target := range targets {
			t.Run(tt.name+"/"+reflect.TypeOf(target).Elem().String(), func(t *testing.T) {
				var before, after allocStats
				before.read()
				err := codec.Unmarshal(tt.in, target)
				after.read()
				if err == nil {
					t.Fatal("Unmarshal succeeded")
				}
				if grew := after.total - before.total; grew > 1<<20 {
					t.Fatalf("Unmarshal allocated %d bytes for %d bytes of input", grew, len(tt.in))
				}
			})
		}
	}
}

func TestDeepButAllowed(t *testing.T) {
	in := append(bytes.Repeat([]byte{0x91}, 1000), 0x01)
	var v any
	if err := codec.Unmarshal(in, &v); err != nil {
		t.Fatalf("1000 levels: %v", err)
	}
}

// allocStats reads the bytes allocated so far by the whole program.
type allocStats struct{ total uint64 }

func (s *allocStats) read() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.total = m.TotalAlloc
}
