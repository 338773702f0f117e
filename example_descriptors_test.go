package ipfi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
)

// greet stands for a package both programs import: it declares the
// procedures once, with their indexes and types.
var greet = struct {
	Hello  ipfi.Proc2[string, string, string]
	Count  ipfi.SeqProc1[int, int]
	Shout  ipfi.BidiProc[string, string]
	Lenses ipfi.BidiProc[string, int]
}{
	Hello:  ipfi.Proc2[string, string, string]{Index: 1},
	Count:  ipfi.SeqProc1[int, int]{Index: 2},
	Shout:  ipfi.BidiProc[string, string]{Index: 3},
	Lenses: ipfi.BidiProc[string, int]{Index: 4},
}

// exampleServer returns an interface serving greet's procedures, and a
// client's wire to it.
func exampleServer() (server, client *ipfi.Interface, w *ipfi.Wire) {
	server, _ = ipfi.New()
	err := errors.Join(
		greet.Hello.Register(server, func(_ context.Context, first, last string) (string, error) {
			return "Hello, " + first + " " + last + "!", nil
		}),
		greet.Count.Register(server, func(_ context.Context, n int, yield func(int) error) error {
			for i := 1; i <= n; i++ {
				if err := yield(i); err != nil {
					return err
				}
			}
			return nil
		}),
		greet.Shout.Register(server, func(_ context.Context, in iter.Seq2[string, error], yield func(string) error) error {
			for s, err := range in {
				if err != nil {
					return err
				}
				if err := yield(strings.ToUpper(s) + "!"); err != nil {
					return err
				}
			}
			return nil
		}),
	)
	if err != nil {
		panic(err)
	}
	client, _ = ipfi.New()
	if _, w, err = ipfitest.Pipe(server, client); err != nil {
		panic(err)
	}
	return server, client, w
}

// A unary procedure declared once, registered and called through its
// descriptor: both sides agree on its index and types at compile time.
func ExampleProc2() {
	ctx := context.Background()
	server, client, w := exampleServer()
	defer server.Close()
	defer client.Close()

	greeting, err := greet.Hello.Call(ctx, w, "John", "Doe")
	fmt.Println(greeting, err)
	// Output: Hello, John Doe! <nil>
}

// A sequence procedure's values, read as an iterator through its
// descriptor.
func ExampleSeqProc1() {
	ctx := context.Background()
	server, client, w := exampleServer()
	defer server.Close()
	defer client.Close()

	for n, err := range greet.Count.Iter(ctx, w, 3) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(n)
	}
	// Output:
	// 1
	// 2
	// 3
}

// A bidirectional procedure: the caller sends values and reads what the
// procedure sends back, typed on both sides.
func ExampleBidiProc() {
	ctx := context.Background()
	server, client, w := exampleServer()
	defer server.Close()
	defer client.Close()

	s, err := greet.Shout.Open(ctx, w)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	for _, word := range []string{"hello", "world"} {
		if err := s.Send(word); err != nil {
			fmt.Println(err)
			return
		}
		loud, err := s.Recv()
		fmt.Println(loud, err)
	}
	if err := s.CloseSend(); err != nil {
		fmt.Println(err)
	}
	_, err = s.Recv()
	fmt.Println(err == io.EOF)
	// Output:
	// HELLO! <nil>
	// WORLD! <nil>
	// true
}

// The receive-function form of a bidirectional procedure, shorter to
// write as a literal than the iterator form.
func ExampleBidiProc_RegisterFunc() {
	ctx := context.Background()
	server, client, w := exampleServer()
	defer server.Close()
	defer client.Close()

	err := greet.Lenses.RegisterFunc(server, func(_ context.Context, recv func() (string, error), send func(int) error) error {
		for {
			s, err := recv()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := send(len(s)); err != nil {
				return err
			}
		}
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := greet.Lenses.Open(ctx, w)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = s.Send("four")
	_ = s.Send("seven!!")
	_ = s.CloseSend()
	for n, err := range s.Values() {
		fmt.Println(n, err)
	}
	// Output:
	// 4 <nil>
	// 7 <nil>
}

// Shutdown drains an interface: its peers are told to make no new calls,
// the calls open finish, then every wire closes. A call refused because
// its callee is draining did not run: retry it on another wire, or later,
// with backoff.
func ExampleInterface_Shutdown() {
	server, client, w := exampleServer()
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("shutdown:", server.Shutdown(ctx))

	_, err := greet.Hello.Call(ctx, w, "John", "Doe")
	fmt.Println("a call after it fails:", err != nil)
	// Output:
	// shutdown: <nil>
	// a call after it fails: true
}

// Raw MessagePack in and out: a unary call, and a stream call whose values
// come as they travelled (here 1, 2 and 3, each one byte of MessagePack).
func ExampleRaw() {
	ctx := context.Background()
	server, client, w := exampleServer()
	defer server.Close()
	defer client.Close()

	three := ipfi.Raw{0x03} // MessagePack for 3
	for v, err := range ipfi.Iter[ipfi.Raw](ctx, w, greet.Count.Index, three) {
		fmt.Printf("% x %v\n", []byte(v), err)
	}
	out, err := ipfi.Call[ipfi.Raw](ctx, w, greet.Hello.Index, ipfi.Raw{0xa1, 'A', 0xa1, 'B'})
	fmt.Printf("%q %v\n", out, err)
	// Output:
	// 01 <nil>
	// 02 <nil>
	// 03 <nil>
	// "\xabHello, A B!" <nil>
}
