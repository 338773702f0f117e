package ipfitest_test

import (
	"context"
	"fmt"
	"net"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
)

// Two interfaces joined in memory, and a third over the slowest legal
// transport: one byte per Read and per Write.
func Example() {
	ctx := context.Background()
	a, _ := ipfi.New()
	defer a.Close()
	b, _ := ipfi.New()
	defer b.Close()
	b.Register(1, procedures.Func1(func(_ context.Context, name string) (string, error) {
		return "Hello, " + name + "!", nil
	}))

	w, _, err := ipfitest.Pipe(a, b)
	if err != nil {
		panic(err)
	}
	fmt.Println(ipfi.Call[string](ctx, w, 1, "pipe"))

	ca, cb := net.Pipe()
	sa, sb := ipfitest.OneByteAtATime(ca), ipfitest.OneByteAtATime(cb)
	slow, err := a.Connect(sa, sa)
	if err != nil {
		panic(err)
	}
	if _, err := b.Connect(sb, sb); err != nil {
		panic(err)
	}
	fmt.Println(ipfi.Call[string](ctx, slow, 1, "one byte at a time"))
	// Output:
	// Hello, pipe! <nil>
	// Hello, one byte at a time! <nil>
}
