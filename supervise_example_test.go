package ipfi_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/supervision"
)

// A supervised wire whose first dial fails: Supervise returns at once, the
// dial is made again after the policy's delay, and the call, made through
// the Supervised, waits for the wire.
func ExampleInterface_Supervise() {
	ctx := context.Background()
	greet := ipfi.Proc1[string, string]{Index: 1}

	server, err := ipfi.New()
	if err != nil {
		panic(err)
	}
	defer server.Close()
	greet.Register(server, func(_ context.Context, name string) (string, error) {
		return "Hello, " + name + "!", nil
	})

	client, err := ipfi.New()
	if err != nil {
		panic(err)
	}
	defer client.Close()
	failures := make(chan error, 1)
	failures <- errors.New("server not up yet")
	dial := func(ctx context.Context) (*ipfi.Wire, error) {
		select {
		case err := <-failures:
			return nil, err
		default:
		}
		w, _, err := ipfitest.Pipe(client, server) // or client.Dial(ctx, "tcp", addr)
		return w, err
	}
	events := func(e supervision.Event) {
		if e.Kind == supervision.Down {
			fmt.Println("down:", e.Err)
		}
	}
	sup, err := client.Supervise(ctx, dial, supervision.Restart{Initial: 10 * time.Millisecond}, events)
	if err != nil {
		panic(err)
	}
	defer sup.Close()

	hello, err := greet.Call(ctx, sup, "world")
	fmt.Println(hello, err, sup.State())
	// Output:
	// down: server not up yet
	// Hello, world! <nil> up
}
