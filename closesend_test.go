package ipfi_test

import (
	"context"
	"errors"
	"iter"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestCloseSendEndsWithItsContext: CloseSend blocks while the wire's
// writer is full (here its transport takes nothing more and a small
// MaxWriteQueue is used up); it returns once the stream's context ends,
// with that context's cause, and CloseSendContext once its own context
// ends. Either way the call is cancelled with that cause, which Recv then
// returns.
func TestCloseSendEndsWithItsContext(t *testing.T) {
	if runtime.GOOS == "wasip1" || runtime.GOOS == "js" {
		t.Skip("one thread: a caller whose writer is full writes into the transport itself, and no context ends that write")
	}
	errSlow := errors.New("the peer reads too slowly")
	for _, c := range []struct {
		name string
		// open opens the stream whose writer is then filled, and returns
		// it and what ends its arguments.
		open func(t *testing.T, w *ipfi.Wire) (*ipfi.Stream, func() error)
	}{
		{"CloseSend, bounded by the stream's context", func(t *testing.T, w *ipfi.Wire) (*ipfi.Stream, func() error) {
			ctx, cancel := context.WithCancelCause(context.Background())
			t.Cleanup(func() { cancel(nil) })
			s, err := w.Open(ctx, 1)
			must(t, err)
			return s, func() error {
				defer time.AfterFunc(50*time.Millisecond, func() { cancel(errSlow) }).Stop()
				return s.CloseSend()
			}
		}},
		{"CloseSendContext", func(t *testing.T, w *ipfi.Wire) (*ipfi.Stream, func() error) {
			sctx, cancelStream := context.WithCancel(context.Background())
			t.Cleanup(cancelStream)
			s, err := w.Open(sctx, 1)
			must(t, err)
			return s, func() error {
				ctx, cancel := context.WithTimeoutCause(context.Background(), 50*time.Millisecond, errSlow)
				defer cancel()
				return s.CloseSendContext(ctx)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, stall := stalledPair(t)
			s, closeSend := c.open(t, w)
			defer s.Close()
			piece := make([]byte, 4<<10)
			must(t, s.Send(piece)) // the writer's transport takes it...
			<-stall.entered        // ...and blocks
			must(t, s.Send(piece)) // queued: the writer is full
			done := make(chan error, 1)
			go func() { done <- closeSend() }()
			select {
			case err := <-done:
				if !errors.Is(err, errSlow) {
					t.Fatalf("CloseSend: %v, want the context's cause", err)
				}
			case <-time.After(5 * time.Second):
				stall.release() // let it return before the test ends
				t.Fatalf("CloseSend still blocks 5 s after its context ended (then: %v)", <-done)
			}
			if err := s.Recv(nil); !errors.Is(err, errSlow) {
				t.Fatalf("Recv after CloseSend failed: %v, want the context's cause", err)
			}
		})
	}
}

// stalledPair returns a client's wire to a server whose procedure 1
// (bidirectional) reads its input, with a small MaxWriteQueue; once the
// client's transport is stalled (the first write after a successful Ping)
// it takes no more bytes until released or closed. Everything ends with
// the test.
func stalledPair(t *testing.T) (*ipfi.Wire, *stallConn) {
	t.Helper()
	server := newInterface(t)
	t.Cleanup(func() { server.Close() })
	must(t, server.Register(1, procedures.Bidi(func(_ context.Context, in iter.Seq2[[]byte, error], yield func(int) error) error {
		for _, err := range in {
			if err != nil {
				return err
			}
		}
		return yield(0)
	})))
	client := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxWriteQueue: 1 << 10}))
	t.Cleanup(func() { client.Close() })
	a, b := net.Pipe()
	stall := &stallConn{Conn: a, entered: make(chan struct{}), gate: make(chan struct{})}
	t.Cleanup(stall.release) // before the interfaces close: their last writes go through
	w, err := client.Connect(stall, stall)
	must(t, err)
	if _, err := server.Connect(b, b); err != nil {
		stall.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = w.Ping(ctx) // the peers have announced: the stream is flow-controlled
	must(t, err)
	stall.mu.Lock()
	stall.stalled = true
	stall.mu.Unlock()
	return w, stall
}

// stallConn is a connection whose writes, once stalled, block (entered is
// closed as the first does) until release or Close.
type stallConn struct {
	net.Conn
	mu       sync.Mutex
	stalled  bool
	entered  chan struct{}
	gate     chan struct{}
	once     sync.Once
	enterOne sync.Once
}

func (c *stallConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	stalled := c.stalled
	c.mu.Unlock()
	if stalled {
		c.enterOne.Do(func() { close(c.entered) })
		<-c.gate
	}
	return c.Conn.Write(p)
}

// release lets writes through.
func (c *stallConn) release() { c.once.Do(func() { close(c.gate) }) }

func (c *stallConn) Close() error {
	c.release()
	return c.Conn.Close()
}
