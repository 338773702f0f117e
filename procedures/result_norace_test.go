//go:build !race

// The race detector makes sync.Pool drop buffers at random, so the pool's
// reuse is only measurable without it.

package procedures_test

import (
	"context"
	"testing"

	"github.com/ipfi-go/ipfi/procedures"
)

// TestLargeResultReusesItsBuffers: a result larger than the buffer its
// encoding starts in grows into a pooled buffer of its size, and the first
// buffer goes back to the pool too, so that once the pool holds both a
// large result costs no more allocations than a small one.
func TestLargeResultReusesItsBuffers(t *testing.T) {
	small, large := resultAllocs(t, 16), resultAllocs(t, 64<<10)
	if large > small {
		t.Fatalf("a 64 KiB result costs %v allocations, a 16-byte one %v", large, small)
	}
}

// resultAllocs returns the allocations of a procedure answering n bytes,
// per call.
func resultAllocs(t *testing.T, n int) float64 {
	b := make([]byte, n)
	p := procedures.Func0(func(context.Context) ([]byte, error) { return b, nil })
	ctx := context.Background()
	return testing.AllocsPerRun(200, func() {
		out, err := p.Invoke(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.Release(out)
	})
}
