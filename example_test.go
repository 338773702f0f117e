package ipfi_test

import (
	"context"
	"fmt"
	"net"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// Two programs, each an Interface, joined by one wire; here both live in
// one process and the wire is an in-memory pipe.
func Example() {
	ctx := context.Background()

	alice, err := ipfi.New()
	if err != nil {
		panic(err)
	}
	defer alice.Close()
	alice.Register(1, procedures.Func2(func(_ context.Context, first, last string) (string, error) {
		return "Hello, " + first + " " + last + "!", nil
	}))

	bob, err := ipfi.New()
	if err != nil {
		panic(err)
	}
	defer bob.Close()

	a, b := net.Pipe()
	if _, err := alice.Connect(a, a); err != nil {
		panic(err)
	}
	w, err := bob.Connect(b, b)
	if err != nil {
		panic(err)
	}

	greeting, err := ipfi.Call[string](ctx, w, 1, "John", "Doe")
	fmt.Println(greeting, err)
	// Output: Hello, John Doe! <nil>
}
