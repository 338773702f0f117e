// Command demo starts two IPFI interfaces over loopback TCP, calls
// procedures both ways (including a callback over the same wire), then cuts
// the wire while calls are open and shows every handle ending with
// ErrWireTerminated. It exits 0 when everything behaved as it should.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

func main() {
	if err := run(); err != nil {
		fmt.Println("demo FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("demo OK")
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// The server: greets, adds, and has a procedure that never finishes on
	// its own (it waits for its context).
	server, err := ipfi.New()
	if err != nil {
		return err
	}
	defer server.Close()
	var cancelled atomic.Int32
	const open = 100
	started := make(chan struct{}, open)
	// Procedure 1 neither blocks nor calls back: Quick runs it on the wire's
	// reader, without a goroutine of its own.
	server.Register(1, procedures.Quick(procedures.Func2(func(_ context.Context, first, last string) (string, error) {
		return fmt.Sprintf("Hello, %s %s!", first, last), nil
	})))
	server.Register(2, procedures.Func1(func(ctx context.Context, name string) (string, error) {
		// Call back the caller over the same wire while handling its call.
		nick, err := ipfi.Call[string](ctx, ipfi.WireFrom(ctx), 10, name)
		if err != nil {
			return "", err
		}
		return "server knows " + name + " as " + nick, nil
	}))
	server.Register(3, procedures.Func0(func(ctx context.Context) (int, error) {
		started <- struct{}{}
		<-ctx.Done()
		cancelled.Add(1)
		return 0, ctx.Err()
	}))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	serveDone := make(chan error, 1)
	go func() { serveDone <- server.Serve(ctx, l) }()

	// The client also serves a procedure, for the server to call.
	client, err := ipfi.New()
	if err != nil {
		return err
	}
	defer client.Close()
	client.Register(10, procedures.Func1(func(_ context.Context, name string) (string, error) {
		return "the one and only " + name, nil
	}))
	w, err := client.Dial(ctx, "tcp", l.Addr().String())
	if err != nil {
		return err
	}
	fmt.Println("client dialled", l.Addr())

	greeting, err := ipfi.Call[string](ctx, w, 1, "John", "Doe")
	if err != nil {
		return err
	}
	fmt.Printf("client -> server proc 1(\"John\", \"Doe\") = %q\n", greeting)

	nick, err := ipfi.Call[string](ctx, w, 2, "Ada")
	if err != nil {
		return err
	}
	fmt.Printf("client -> server proc 2(\"Ada\") -> calls back client proc 10 -> %q\n", nick)

	// Open 100 calls that will never be answered, then cut the wire.
	errs := make(chan error, open)
	for range open {
		go func() { _, err := ipfi.Call[int](ctx, w, 3); errs <- err }()
	}
	for range open {
		<-started
	}
	fmt.Printf("%d calls open; closing the client's wire\n", open)
	w.Close()
	ended := 0
	for range open {
		err := <-errs
		if !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, ipfi.ErrClosed) {
			return fmt.Errorf("a pending call ended with %v, want ErrWireTerminated (closed)", err)
		}
		ended++
	}
	fmt.Printf("all %d pending calls ended with: %v\n", ended, ipfi.ErrWireTerminated)
	fmt.Println("wire's cause:", w.Err())

	// The server closes; its procedures see their contexts cancelled.
	server.Close()
	if err := <-serveDone; !errors.Is(err, ipfi.ErrClosed) {
		return fmt.Errorf("server.Serve returned %v", err)
	}
	fmt.Printf("server closed; %d of its running procedures saw their context cancelled\n", cancelled.Load())
	if cancelled.Load() != open {
		return fmt.Errorf("%d procedures cancelled, want %d", cancelled.Load(), open)
	}
	return nil
}
