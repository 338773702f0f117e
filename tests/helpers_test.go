package tests

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiotel"
)

// transport names a way to connect two interfaces.
type transport string

const (
	tcp     transport = "tcp"
	pipe    transport = "pipe"     // net.Pipe: synchronous, unbuffered
	oneByte transport = "one-byte" // io.Pipe read one byte per Read
	// exclusive: loopback TCP with WithExclusiveConn, as Dial's and
	// Serve's wires are made
	exclusive transport = "exclusive"
)

var transports = []transport{tcp, pipe, oneByte, exclusive}

// connect makes a wire between a and b over tr and returns a's and b's ends.
func connect(t testing.TB, tr transport, a, b *ipfi.Interface) (wa, wb *ipfi.Wire) {
	t.Helper()
	var err error
	switch tr {
	case tcp:
		ca, cb := tcpPair(t)
		if wa, err = a.Connect(ca, ca); err != nil {
			t.Fatal(err)
		}
		if wb, err = b.Connect(cb, cb); err != nil {
			t.Fatal(err)
		}
	case pipe:
		ca, cb := net.Pipe()
		if wa, err = a.Connect(ca, ca); err != nil {
			t.Fatal(err)
		}
		if wb, err = b.Connect(cb, cb); err != nil {
			t.Fatal(err)
		}
	case exclusive:
		wa, wb = exclusivePair(t, a, b)
	case oneByte:
		ar, bw := io.Pipe()
		br, aw := io.Pipe()
		if wa, err = a.Connect(&trickle{ar}, aw); err != nil {
			t.Fatal(err)
		}
		if wb, err = b.Connect(&trickle{br}, bw); err != nil {
			t.Fatal(err)
		}
	}
	return wa, wb
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.Accept()
		ch <- res{c, err}
	}()
	ca, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return ca, r.c
}

// trickle hands out one byte per Read: the slowest legal byte stream.
type trickle struct{ r *io.PipeReader }

func (t *trickle) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return t.r.Read(p)
}

func (t *trickle) Close() error { return t.r.Close() }

// newInterface returns an interface closed at the end of the test.
func newInterface(t testing.TB, opts ...ipfi.Option) *ipfi.Interface {
	t.Helper()
	i := mustNew(t, opts...)
	t.Cleanup(func() { i.Close() })
	return i
}

// mustNew returns an interface for the caller to close, failing the test if
// New fails.
func mustNew(t testing.TB, opts ...ipfi.Option) *ipfi.Interface {
	t.Helper()
	i, err := ipfi.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// bounded returns a context that ends after d: a hang detector, not a timer
// used for synchronisation.
func bounded(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// inParallel runs f(0) .. f(n-1) on goroutines of their own, waits for them
// all, and fails the test with every error they returned.
func inParallel(t testing.TB, n int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// serveLoopback serves server on a loopback TCP listener until the test
// ends (or stop is called), with opts (Serve's), and returns its address;
// stop checks that Serve ended cleanly.
func serveLoopback(t testing.TB, server *ipfi.Interface, opts ...ipfi.Option) (addr string, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx, l, opts...) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-served; err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, ipfi.ErrClosed) {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return l.Addr().String(), stop
}

// otel returns the option that installs ipfiotel's interceptor made with
// opts, failing the test if it cannot be made.
func otel(t testing.TB, opts ...ipfiotel.Option) ipfi.Option {
	t.Helper()
	tel, err := ipfiotel.New(opts...)
	must(t, err)
	return ipfi.WithInterceptors(tel)
}

// recvRaw reads the next value of s as it came.
func recvRaw(s *ipfi.Stream) (ipfi.Raw, error) {
	var r ipfi.Raw
	err := s.Recv(&r)
	return r, err
}
