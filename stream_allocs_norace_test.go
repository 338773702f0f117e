//go:build !race

// The race detector allocates on its own and makes sync.Pool drop buffers
// at random, so a stream's allocations are only measurable without it.

package ipfi_test

import (
	"context"
	"io"
	"testing"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestStreamWithoutInterceptorsAllocates: opening a short stream (two
// values) and reading it to its end, on an interface without
// interceptors, costs exactly the allocations pinned below (both
// interfaces counted, over an in-memory pipe): the ClientStream hooks add
// none. Opened with Wire.Stream, with Wire.Open and CloseSend, and
// through Collect.
func TestStreamWithoutInterceptorsAllocates(t *testing.T) {
	w, _, done := pair(nil, nil, func(b *ipfi.Interface) {
		must(t, b.Register(1, procedures.Sequence0(func(_ context.Context, yield func(int) error) error {
			if err := yield(1); err != nil {
				return err
			}
			return yield(2)
		})))
	})
	defer done()
	ctx := context.Background()
	readToEOF := func(s *ipfi.Stream) {
		var v int
		for {
			if err := s.Recv(&v); err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
		}
		s.Close()
	}
	for _, c := range []struct {
		name   string
		allocs float64 // a stream's cost with no ClientStream hooks (as measured at ffaf1d0)
		run    func()
	}{
		{"Wire.Stream", 38, func() {
			s, err := w.Stream(ctx, 1, nil)
			must(t, err)
			readToEOF(s)
		}},
		{"Wire.Open", 38, func() {
			s, err := w.Open(ctx, 1)
			must(t, err)
			must(t, s.CloseSend())
			readToEOF(s)
		}},
		{"Collect", 40, func() {
			if _, err := ipfi.Collect[int](ctx, w, 1); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The most of three measurements: now and then a run is one
			// allocation short (something pooled was at hand), never over.
			most := 0.0
			for range 3 {
				most = max(most, testing.AllocsPerRun(300, c.run))
			}
			if most != c.allocs {
				t.Fatalf("%v allocations, want %v", most, c.allocs)
			}
		})
	}
}
