// Command example runs a server and a client of IPFI over QUIC in one
// process, on loopback: one QUIC connection carries eight wires, each
// calling in a loop; halfway, the server closes one of them (its stream
// ends), and the seven others go on. It prints what happened and exits 0
// only if the killed wire ended with ipfi.ErrPeerTerminated, every call on
// the others succeeded and the connection is still up.
//
//	cd ipfiquic && go run ./example
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiquic"
	"github.com/ipfi-go/ipfi/ipfitest"
)

var (
	add  = ipfi.Proc2[int, int, int]{Index: 1}
	kill = ipfi.Proc0[bool]{Index: 2} // the server closes the wire it was called on
)

const (
	wires = 8
	calls = 1000 // per wire
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
	fmt.Println("example OK")
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	stop, addr, certs, err := startServer(ctx)
	if err != nil {
		return err
	}
	defer stop()

	client, err := ipfi.New()
	if err != nil {
		return err
	}
	defer client.Close()
	conn, err := ipfiquic.Dial(ctx, client, addr, certs, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	ws := make([]*ipfi.Wire, wires)
	for k := range ws {
		if ws[k], err = conn.Open(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("one QUIC connection to %s carries %d wires\n", addr, wires)

	const victim = 3
	failed := make([]int, wires)
	var wg sync.WaitGroup
	for k, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range calls {
				if k == victim && n == calls/2 {
					_, _ = kill.Call(ctx, w) // the server ends this wire
					<-w.Done()
					return
				}
				if got, err := add.Call(ctx, w, n, k); err != nil || got != n+k {
					failed[k]++
				}
			}
		}()
	}
	wg.Wait()

	fmt.Printf("wire %d, closed by the server halfway: %v\n", victim, ws[victim].Err())
	total, bad := 0, 0
	for k := range ws {
		if k != victim {
			total += calls
			bad += failed[k]
		}
	}
	fmt.Printf("the %d others: %d calls, %d failed; the connection is up: %v\n", wires-1, total, bad, conn.Err() == nil)
	switch {
	case !errors.Is(ws[victim].Err(), ipfi.ErrPeerTerminated):
		return fmt.Errorf("the killed wire ended with %v, want ErrPeerTerminated", ws[victim].Err())
	case bad > 0:
		return fmt.Errorf("%d calls failed on the wires that were not killed", bad)
	case conn.Err() != nil:
		return fmt.Errorf("the connection ended: %w", conn.Err())
	}
	return nil
}

// startServer serves add and kill over QUIC on a loopback port, with a
// certificate made for the run, and returns stop (which closes the server
// and waits for Serve to return), its address and a client's TLS config
// that trusts it.
func startServer(ctx context.Context) (stop func(), addr string, client *tls.Config, err error) {
	ca, err := ipfitest.NewCA()
	if err != nil {
		return nil, "", nil, err
	}
	serverTLS, clientTLS, err := ca.Loopback()
	if err != nil {
		return nil, "", nil, err
	}
	server, err := ipfi.New()
	if err != nil {
		return nil, "", nil, err
	}
	err = errors.Join(
		add.Register(server, func(_ context.Context, x, y int) (int, error) { return x + y, nil }),
		kill.Register(server, func(ctx context.Context) (bool, error) {
			go ipfi.WireFrom(ctx).Close()
			return true, nil
		}),
	)
	l, lerr := ipfiquic.Listen(server, "127.0.0.1:0", serverTLS, nil)
	if err = errors.Join(err, lerr); err != nil {
		server.Close()
		return nil, "", nil, err
	}
	served := make(chan error, 1)
	go func() { served <- ipfiquic.Serve(ctx, server, l) }()
	stop = func() {
		server.Close()
		<-served // ipfi.ErrClosed
	}
	return stop, l.Addr().String(), clientTLS, nil
}
