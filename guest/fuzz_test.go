package guest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/ipfi-go/ipfi/guest"
	"github.com/ipfi-go/ipfi/internal/vectors"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// FuzzServe feeds a guest arbitrary bytes from its host: Serve returns
// (the stream ends) without panicking, whatever they are; procedures that
// call the host back or stream stay bounded.
func FuzzServe(f *testing.F) {
	for _, v := range vectors.All() {
		f.Add(v.Bytes)
	}
	f.Add(append([]byte{byte(wire.KindAnnounce)}, vectors.Get("call_p3_n3")...))
	f.Add([]byte{byte(wire.KindAnnounce), byte(wire.KindPing), 0xc0, 0, 7, 0, byte(wire.KindEndOfInput)})
	reg := procedures.NewRegistry()
	if err := errors.Join(
		reg.Register(0, procedures.Func0(func(context.Context) (uint32, error) { return 42, nil })),
		reg.Register(1, procedures.Func2(func(_ context.Context, a, b string) (string, error) { return a + b, nil })),
		reg.Register(3, procedures.Sequence1(func(_ context.Context, n uint32, yield func(uint32) error) error {
			for i := range n % 100 {
				if err := yield(i); err != nil {
					return err
				}
			}
			return nil
		})),
		reg.Register(11, procedures.Func1(func(ctx context.Context, n int) (int, error) {
			return guest.Call[int](ctx, 20, n)
		})),
	); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opt := range []guest.Options{{}, {StopAtEndOfInput: true, MaxOpenCalls: 5, MaxWireArgs: 1 << 10}} {
			err := guest.New(bytes.NewReader(data), io.Discard, reg, opt).Serve(context.Background())
			if err == nil && !opt.StopAtEndOfInput {
				t.Fatal("Serve returned nil without End of input")
			}
		}
	})
}
