package procedures_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"runtime"
	"sync"
	"testing"

	"github.com/ipfi-go/ipfi/procedures"
)

// constProc returns a procedure answering the positive fixint n, to tell
// procedures apart.
func constProc(n byte) procedures.Procedure {
	return procedures.Raw(func(context.Context, []byte) ([]byte, error) { return []byte{n}, nil })
}

// answer invokes p and returns the byte it answers.
func answer(tb testing.TB, p procedures.Procedure) byte {
	tb.Helper()
	out, err := p.Invoke(context.Background(), nil)
	if err != nil || len(out) != 1 {
		tb.Fatalf("Invoke = %x, %v", out, err)
	}
	return out[0]
}

func TestRegistry(t *testing.T) {
	indices := []procedures.Index{0, 1, 4, 255, 256, 300, 1 << 40, math.MaxUint64}
	for _, name := range []string{"new", "zero_value"} {
		t.Run(name, func(t *testing.T) {
			r := procedures.NewRegistry()
			if name == "zero_value" {
				r = new(procedures.Registry)
			}
			if _, ok := r.Lookup(0); ok || r.Len() != 0 {
				t.Fatal("empty registry is not empty")
			}
			registerRegistryIndices(t, r, indices)
			checkRegistryLookup(t, r, indices)
			checkRegistryAbsent(t, r, []procedures.Index{2, 3, 254, 257, 1<<40 + 1, math.MaxUint64 - 1})
			checkRegistryUnregister(t, r, indices)
		})
	}
}

// registerRegistryIndices registers constProc(k) at the k-th of indices in
// the empty registry r and checks its length afterwards.
func registerRegistryIndices(t *testing.T, r *procedures.Registry, indices []procedures.Index) {
	t.Helper()
	for k, i := range indices {
		if err := r.Register(i, constProc(byte(k))); err != nil {
			t.Fatalf("Register(%d): %v", i, err)
		}
	}
	if r.Len() != len(indices) {
		t.Fatalf("Len = %d, want %d", r.Len(), len(indices))
	}
}

// checkRegistryLookup checks that r answers constProc(k) at the k-th of
// indices, and that a second Register there fails with ErrDuplicate and
// leaves the procedure in place.
func checkRegistryLookup(t *testing.T, r *procedures.Registry, indices []procedures.Index) {
	t.Helper()
	for k, i := range indices {
		p, ok := r.Lookup(i)
		if !ok || answer(t, p) != byte(k) {
			t.Fatalf("Lookup(%d) = %v", i, ok)
		}
		if err := r.Register(i, constProc(99)); !errors.Is(err, procedures.ErrDuplicate) {
			t.Fatalf("second Register(%d) = %v, want ErrDuplicate", i, err)
		}
		if answer(t, p) != byte(k) {
			t.Fatalf("a duplicate Register replaced index %d", i)
		}
	}
}

// checkRegistryAbsent checks that r neither finds nor unregisters a
// procedure at any of missing.
func checkRegistryAbsent(t *testing.T, r *procedures.Registry, missing []procedures.Index) {
	t.Helper()
	for _, i := range missing {
		if _, ok := r.Lookup(i); ok {
			t.Fatalf("Lookup(%d) found a procedure", i)
		}
		if r.Unregister(i) {
			t.Fatalf("Unregister(%d) = true", i)
		}
	}
}

// checkRegistryUnregister unregisters indices from r one by one, which holds
// exactly them, checking after each that the index is gone, that the length
// drops and that the index can be registered again.
func checkRegistryUnregister(t *testing.T, r *procedures.Registry, indices []procedures.Index) {
	t.Helper()
	for k, i := range indices {
		if !r.Unregister(i) {
			t.Fatalf("Unregister(%d) = false", i)
		}
		if r.Unregister(i) {
			t.Fatalf("second Unregister(%d) = true", i)
		}
		if _, ok := r.Lookup(i); ok {
			t.Fatalf("Lookup(%d) after Unregister found a procedure", i)
		}
		if got, want := r.Len(), len(indices)-k-1; got != want {
			t.Fatalf("Len = %d, want %d", got, want)
		}
		// The index is free again.
		if err := r.Register(i, constProc(7)); err != nil {
			t.Fatalf("Register(%d) after Unregister: %v", i, err)
		}
		if !r.Unregister(i) {
			t.Fatalf("Unregister(%d) = false", i)
		}
	}
}

// TestRegistryConcurrent registers and unregisters from several goroutines
// while others look procedures up; run it with -race.
func TestRegistryConcurrent(t *testing.T) {
	r := procedures.NewRegistry()
	stable := []procedures.Index{0, 7, 1000}
	for _, i := range stable {
		if err := r.Register(i, constProc(byte(i%100))); err != nil {
			t.Fatal(err)
		}
	}
	const writers, readers, rounds = 4, 4, 500
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			concurrentRegistryWriter(t, r, w, rounds)
		}(w)
	}
	var rg sync.WaitGroup
	for g := 0; g < readers; g++ {
		rg.Add(1)
		go func() {
			defer rg.Done()
			concurrentRegistryReader(t, r, stable, rounds, stop)
		}()
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	if got, want := r.Len(), len(stable)+writers*rounds/2; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
}

// concurrentRegistryWriter is writer w of TestRegistryConcurrent: it
// registers rounds indices of its own in r and unregisters every other one.
func concurrentRegistryWriter(t *testing.T, r *procedures.Registry, w, rounds int) {
	t.Helper()
	for n := 0; n < rounds; n++ {
		i := procedures.Index(10 + w*1000 + n) // below and above 256
		if err := r.Register(i, constProc(byte(w))); err != nil {
			t.Errorf("Register(%d): %v", i, err)
			return
		}
		if n%2 == 0 && !r.Unregister(i) {
			t.Errorf("Unregister(%d) = false", i)
			return
		}
	}
}

// concurrentRegistryReader is a reader of TestRegistryConcurrent: until stop
// is closed, it repeatedly checks the stable procedures of r and looks up an
// index the writers use.
func concurrentRegistryReader(t *testing.T, r *procedures.Registry, stable []procedures.Index, rounds int, stop <-chan struct{}) {
	t.Helper()
	// Bounded, and yielding each round: the readers run beside the
	// writers without relying on preemption (which a single-threaded
	// runtime such as wasip1's does not have).
	for n := 0; n < 100*rounds; n++ {
		select {
		case <-stop:
			return
		default:
		}
		runtime.Gosched()
		if !checkRegistryStable(t, r, stable) {
			return
		}
		r.Lookup(procedures.Index(10 + len(stable)))
		_ = r.Len()
	}
}

// checkRegistryStable reports whether r still answers i%100 at each index i
// of stable, reporting the first failure with t.Errorf.
func checkRegistryStable(t *testing.T, r *procedures.Registry, stable []procedures.Index) bool {
	t.Helper()
	for _, i := range stable {
		p, ok := r.Lookup(i)
		if !ok {
			t.Errorf("Lookup(%d) lost a stable procedure", i)
			return false
		}
		out, err := p.Invoke(context.Background(), nil)
		if err != nil || !bytes.Equal(out, []byte{byte(i % 100)}) {
			t.Errorf("Invoke(%d) = %x, %v", i, out, err)
			return false
		}
	}
	return true
}
