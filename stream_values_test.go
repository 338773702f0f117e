package ipfi_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestStreamByteValuesStayIntact: large []byte values received from a
// stream (which share the memory of the messages they came in) keep their
// bytes while later values arrive, read through Values and through Recv.
func TestStreamByteValuesStayIntact(t *testing.T) {
	const n, size = 200, 8 << 10
	value := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, size+i) }
	w, _, done := pair(nil, nil, func(b *ipfi.Interface) {
		if err := b.Register(1, procedures.Sequence0(func(_ context.Context, yield func([]byte) error) error {
			for i := range n {
				if err := yield(value(i)); err != nil {
					return err
				}
			}
			return nil
		})); err != nil {
			t.Fatal(err)
		}
	})
	defer done()
	ctx := context.Background()
	got, err := ipfi.Collect[[]byte](ctx, w, 1)
	if err != nil {
		t.Fatal(err)
	}
	check := func(how string, got [][]byte) {
		t.Helper()
		if len(got) != n {
			t.Fatalf("%s: %d values, want %d", how, len(got), n)
		}
		for i, v := range got {
			if !bytes.Equal(v, value(i)) {
				t.Fatalf("%s: value %d changed after it was received", how, i)
			}
		}
	}
	check("Values", got)

	s, err := w.Stream(ctx, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var recv [][]byte
	for {
		var v []byte
		err := s.Recv(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recv = append(recv, v)
	}
	check("Recv", recv)
}
