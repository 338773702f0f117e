package wire

import (
	"encoding/binary"
	"errors"
	"math"
	"runtime"
	"strconv"
	"testing"
)

// TestMalformed feeds bad input whole and one byte at a time, and expects
// the frames before the bad message then the error.
func TestMalformed(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		max      int
		frames   int
		tooLarge bool
	}{
		{"terminator bits (0,1) call", "01 80 00 00 00", 0, 0, false},
		{"terminator bits (0,1) response", "02 80 00 00 01 2a", 0, 0, false},
		{"terminator bits (0,1) wide", "02 bf 00", 0, 0, false},
		{"after good frames", "03 01c0000000 01 80", 0, 2, false},
		{"empty call none", "01 00 00 00 00", 0, 0, false},
		{"empty call none wide indices", "01 0f 0000000000000000 0000000000000000 00", 0, 0, false},
		{"empty call none u16 length", "01 20 05 06 0000", 0, 0, false},
		{"over limit u8", "01 c0 00 00 11", 16, 0, true},
		{"over limit u16", "02 e0 00 00 0101", 256, 0, true},
		{"over default limit u32", "01 d0 00 00 01000001", 0, 0, true},
		{"over limit u64", "01 f0 00 00 0000000000000040", 0, 0, true},
		{"max uint64 length", "01 f0 00 00 ffffffffffffffff", 0, 0, true},
		{"over limit after a frame", "02 c0 00 00 01 2a 02 c0 00 00 02", 1, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			for name, r := range map[string]result{
				"whole":    decodeChunks(t, tt.max, in),
				"bytewise": decodeBytewise(t, tt.max, in),
			} {
				if !isMalformed(r.err) {
					t.Errorf("%s: err %v, want ErrMalformed", name, r.err)
				}
				if got := errors.Is(r.err, ErrFrameTooLarge); got != tt.tooLarge {
					t.Errorf("%s: errors.Is(%v, ErrFrameTooLarge) = %v, want %v", name, r.err, got, tt.tooLarge)
				}
				if len(r.frames) != tt.frames {
					t.Errorf("%s: %d frames before the error, want %d", name, len(r.frames), tt.frames)
				}
			}
		})
	}
}

// TestNotMalformed pins inputs that look odd but are valid.
func TestNotMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want Frame
	}{
		{"empty call complete", "01 c0 00 00 00", 0, h(KindCall, TermComplete, 0, 0)},
		{"empty call chunk", "01 40 00 00 00", 0, h(KindCall, TermChunk, 0, 0)},
		{"empty response none", "02 00 00 00 00", 0, h(KindResponse, TermNone, 0, 0)},
		{"length at the limit", "01 c0 00 00 02 aabb", 2, h(KindCall, TermComplete, 0, 0, 0xaa, 0xbb)},
		{"non-minimal widths", "01 ff 0100000000000000 0200000000000000 0100000000000000 07", 0, h(KindCall, TermComplete, 1, 2, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := decodeChunks(t, tt.max, unhex(t, tt.in))
			if r.err != nil {
				t.Fatal(r.err)
			}
			if diff := sameFrames(r.frames, []Frame{tt.want}); diff != "" {
				t.Error(diff)
			}
		})
	}
}

// TestErrorsSticky checks that after an error every Feed returns it
// without emitting anything, and that Reset clears it.
func TestErrorsSticky(t *testing.T) {
	good := unhex(t, "02 c0 00 00 01 2a")
	d := NewDecoder(0)
	emitted := 0
	count := func(Frame) error { emitted++; return nil }
	err := d.Feed(unhex(t, "01 80"), count)
	if !isMalformed(err) {
		t.Fatalf("err %v, want ErrMalformed", err)
	}
	for i := 0; i < 3; i++ {
		if again := d.Feed(good, count); again != err {
			t.Fatalf("Feed %d after error = %v, want %v", i, again, err)
		}
	}
	if again := d.Feed(nil, count); again != err {
		t.Fatalf("Feed(nil) after error = %v, want %v", again, err)
	}
	if emitted != 0 {
		t.Fatalf("emitted %d frames after the error", emitted)
	}
	d.Reset()
	if err := d.Feed(good, count); err != nil || emitted != 1 {
		t.Fatalf("after Reset: err %v, %d frames", err, emitted)
	}
}

// TestEmitErrorStops checks that an emit error stops Feed at once and
// sticks.
func TestEmitErrorStops(t *testing.T) {
	stop := errors.New("stop")
	in := unhex(t, "03 02c00000012a 03")
	for _, split := range []int{len(in), 1, 4} {
		d := NewDecoder(0)
		emitted := 0
		emit := func(f Frame) error {
			emitted++
			if f.Kind == KindResponse {
				return stop
			}
			return nil
		}
		err := d.Feed(in[:split], emit)
		if err == nil {
			err = d.Feed(in[split:], emit)
		}
		if err != stop || emitted != 2 {
			t.Fatalf("split %d: err %v after %d frames, want stop after 2", split, err, emitted)
		}
		if again := d.Feed(in, emit); again != stop || emitted != 2 {
			t.Fatalf("split %d: later Feed = %v, %d frames", split, again, emitted)
		}
	}
}

// TestHugeDeclaredLengthAllocatesNothing declares a 2^62-byte payload and
// checks that the decoder fails without reserving memory for it.
func TestHugeDeclaredLengthAllocatesNothing(t *testing.T) {
	in := append(unhex(t, "01 f0 00 00"), binary.LittleEndian.AppendUint64(nil, 1<<62)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d := NewDecoder(math.MaxInt)
	for i := 0; i < 100 && strconv.IntSize == 64; i++ {
		d.Reset()
		if err := d.Feed(in, func(Frame) error { return nil }); err != nil {
			t.Fatalf("limit MaxInt: %v", err)
		}
		// Up to the limit: the header is accepted and the payload awaited.
		if d.Buffered() != len(in) || cap(d.buf) != 0 {
			t.Fatalf("Buffered() %d, cap %d", d.Buffered(), cap(d.buf))
		}
		if err := d.Feed([]byte{1, 2, 3}, func(Frame) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if cap(d.buf) > minBufferCap {
			t.Fatalf("3 payload bytes grew the buffer to %d", cap(d.buf))
		}
	}
	d = NewDecoder(0)
	allocs := testing.AllocsPerRun(100, func() {
		d.Reset()
		if err := d.Feed(in, func(Frame) error { return nil }); !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("err %v, want ErrFrameTooLarge", err)
		}
	})
	runtime.ReadMemStats(&after)
	if allocs > 8 {
		t.Errorf("%v allocations per rejected frame", allocs)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("allocated %d bytes in total", grew)
	}
}
