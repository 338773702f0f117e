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

// The procedures, declared once: the side that serves one registers it
// through its descriptor, the other calls it through the same descriptor.
var (
	// On the server.
	greet = ipfi.Proc2[string, string, string]{Index: 1} // first, last -> "Hello, first last!"
	knows = ipfi.Proc1[string, string]{Index: 2}         // name -> what the server knows, after calling the client's nickname back
	hang  = ipfi.Proc0[int]{Index: 3}                    // answers only when its context ends
	// On the client.
	nickname = ipfi.Proc1[string, string]{Index: 10} // name -> nickname
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
	if err := errors.Join(
		// Greet neither blocks nor calls back: Quick runs it on the wire's
		// reader, without a goroutine of its own.
		server.Register(greet.Index, procedures.Quick(greet.Procedure(func(_ context.Context, first, last string) (string, error) {
			return fmt.Sprintf("Hello, %s %s!", first, last), nil
		}))),
		knows.Register(server, func(ctx context.Context, name string) (string, error) {
			// Call back the caller over the same wire while handling its call.
			nick, err := nickname.Call(ctx, ipfi.WireFrom(ctx), name)
			if err != nil {
				return "", err
			}
			return "server knows " + name + " as " + nick, nil
		}),
		hang.Register(server, func(ctx context.Context) (int, error) {
			started <- struct{}{}
			<-ctx.Done()
			cancelled.Add(1)
			return 0, ctx.Err()
		}),
	); err != nil {
		return err
	}

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
	if err := nickname.Register(client, func(_ context.Context, name string) (string, error) {
		return "the one and only " + name, nil
	}); err != nil {
		return err
	}
	w, err := client.Dial(ctx, "tcp", l.Addr().String())
	if err != nil {
		return err
	}
	fmt.Println("client dialled", l.Addr())

	greeting, err := greet.Call(ctx, w, "John", "Doe")
	if err != nil {
		return err
	}
	fmt.Printf("client -> server proc 1(\"John\", \"Doe\") = %q\n", greeting)

	nick, err := knows.Call(ctx, w, "Ada")
	if err != nil {
		return err
	}
	fmt.Printf("client -> server proc 2(\"Ada\") -> calls back client proc 10 -> %q\n", nick)

	// Open 100 calls that will never be answered, then cut the wire.
	errs := make(chan error, open)
	for range open {
		go func() { _, err := hang.Call(ctx, w); errs <- err }()
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
