// Command liteguest is ../guest's procedures 0 to 4 served with the
// library's lightweight package guest instead of package ipfi: one
// goroutine, no actor system (GOOS=wasip1 GOARCH=wasm). It serves until
// the host sends End of input (it answers the calls before it, writes a
// Termination message and exits 0), closes the wire or goes away.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ipfi-go/ipfi/examples/wasm/internal/contract"
	"github.com/ipfi-go/ipfi/guest"
	"github.com/ipfi-go/ipfi/procedures"
)

func main() {
	reg := procedures.NewRegistry()
	err := errors.Join(
		reg.Register(contract.ProcHello, procedures.Func0(func(context.Context) (string, error) {
			return "Hello from a wasm guest", nil
		})),
		reg.Register(contract.ProcAdd, procedures.Func2(func(_ context.Context, a, b int) (int, error) {
			return a + b, nil
		})),
		reg.Register(contract.ProcSequence, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
			for k := range n {
				if err := yield(k); err != nil {
					return err
				}
			}
			return nil
		})),
		reg.Register(contract.ProcCallback, procedures.Func1(func(ctx context.Context, x int) (int, error) {
			doubled, err := guest.Call[int](ctx, contract.HostDouble, x)
			return x + doubled, err
		})),
		reg.Register(contract.ProcCallHost, procedures.Func1(func(ctx context.Context, n int) (int, error) {
			sum := 0
			for k := range n {
				doubled, err := guest.Call[int](ctx, contract.HostDouble, k)
				if err != nil {
					return 0, fmt.Errorf("call %d of %d: %w", k, n, err)
				}
				sum += doubled
			}
			return sum, nil
		})),
	)
	if err == nil {
		err = guest.ServeStdio(context.Background(), reg, guest.Options{StopAtEndOfInput: true})
	}
	if err != nil && !errors.Is(err, guest.ErrPeerTerminated) && !errors.Is(err, guest.ErrPeerClosed) {
		fmt.Fprintln(os.Stderr, "liteguest:", err)
		os.Exit(1)
	}
}
