package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// wantLimit fails the test unless err matches ErrLimit and names limit.
func wantLimit(t *testing.T, what string, err error, limit string) {
	t.Helper()
	if !errors.Is(err, ipfi.ErrLimit) || !strings.Contains(err.Error(), limit) {
		t.Fatalf("%s: %v, want ErrLimit naming %s", what, err, limit)
	}
}

// TestWireArgsBudget: arguments arriving in pieces count against the
// wire's budget (MaxWireArgs) across its calls: a call whose pieces would
// pass it is answered with ErrLimit, while the call holding the budget
// goes on, and the budget is free again once that call has its arguments.
func TestWireArgsBudget(t *testing.T) {
	const piece = 64 << 10
	b := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxCallArgs: 1 << 20, MaxWireArgs: 1536 << 10}))
	must(t, b.Register(1, procedures.Raw(func(_ context.Context, args []byte) ([]byte, error) {
		return []byte{0xcd, byte(len(args) >> 8), byte(len(args))}, nil // its length >> 8, as a uint16
	})))
	a := newInterface(t)
	w, _ := connect(t, tcp, a, b)
	ctx := bounded(t, 10*time.Second)
	val := bytes.Repeat([]byte{0xc0}, piece) // 64 KiB of MessagePack nils
	send := func(s *ipfi.Stream, n int) error {
		for range n {
			if err := s.Send(ipfi.Raw(val)); err != nil {
				return err
			}
		}
		return nil
	}
	first, err := w.Open(ctx, 1)
	must(t, err)
	must(t, send(first, 16)) // 1 MiB held
	second, err := w.Open(ctx, 1)
	must(t, err)
	if err := send(second, 16); err == nil { // would make 2 MiB
		err = second.CloseSend()
		if err == nil {
			_, err = recvRaw(second)
		}
		wantLimit(t, "a call over the wire's argument budget", err, "MaxWireArgs")
	} else {
		wantLimit(t, "a call over the wire's argument budget", err, "MaxWireArgs")
	}
	second.Close()
	must(t, first.CloseSend())
	if _, err := recvRaw(first); err != nil {
		t.Fatalf("the call within the budget: %v", err)
	}
	first.Close()
	third, err := w.Open(ctx, 1)
	must(t, err)
	must(t, send(third, 16))
	must(t, third.CloseSend())
	if _, err := recvRaw(third); err != nil {
		t.Fatalf("a call after the budget was freed: %v", err)
	}
	third.Close()
}

// blocker is a procedure that blocks until its context ends or release is
// closed, and counts how many are running.
type blocker struct {
	started chan struct{}
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (b *blocker) unary() procedures.Procedure {
	return procedures.Func0(func(ctx context.Context) (int, error) {
		b.started <- struct{}{}
		select {
		case <-b.release:
			return 1, nil
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	})
}

func (b *blocker) sequence() procedures.Procedure {
	return procedures.Sequence0(func(ctx context.Context, yield func(int) error) error {
		b.started <- struct{}{}
		select {
		case <-b.release:
			return yield(1)
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
}

// TestOpenStreamsLimit: calls to streaming procedures beyond MaxOpenStreams
// on a wire are answered with ErrLimit, while unary calls still run.
func TestOpenStreamsLimit(t *testing.T) {
	blk := newBlocker()
	b := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxOpenStreams: 2}))
	must(t, b.Register(1, blk.sequence()))
	must(t, b.Register(2, procedures.Func0(func(context.Context) (int, error) { return 2, nil })))
	a := newInterface(t)
	w, _ := connect(t, tcp, a, b)
	ctx := bounded(t, 10*time.Second)
	var open []*ipfi.Stream
	for range 2 {
		s, err := w.Open(ctx, 1)
		must(t, err)
		must(t, s.CloseSend())
		<-blk.started
		open = append(open, s)
	}
	_, err := ipfi.Collect[int](ctx, w, 1)
	wantLimit(t, "a third stream", err, "MaxOpenStreams")
	if got, err := ipfi.Call[int](ctx, w, 2); err != nil || got != 2 {
		t.Fatalf("a unary call beside two open streams: %v, %v", got, err)
	}
	close(blk.release)
	for _, s := range open {
		var v int
		must(t, s.Recv(&v))
		s.Close()
	}
}

// TestInterfaceCallLimit: the interface-wide MaxCalls counts the calls open
// on all its wires: beyond it a call on any wire is answered with
// ErrLimit, and once calls end, new ones run again.
func TestInterfaceCallLimit(t *testing.T) {
	blk := newBlocker()
	server := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxCalls: 2}))
	must(t, server.Register(1, blk.unary()))
	ctx := bounded(t, 10*time.Second)
	var wires []*ipfi.Wire
	for range 3 {
		w, _ := connect(t, tcp, newInterface(t), server)
		wires = append(wires, w)
	}
	var pending []*ipfi.Pending
	for _, w := range wires[:2] {
		p, err := w.Start(ctx, 1)
		must(t, err)
		<-blk.started
		pending = append(pending, p)
	}
	_, err := ipfi.Call[int](ctx, wires[2], 1)
	wantLimit(t, "a call beyond the interface's open calls", err, "MaxCalls")
	close(blk.release)
	for _, p := range pending {
		var v int
		must(t, p.Wait(ctx, &v))
	}
	if _, err := ipfi.Call[int](ctx, wires[2], 1); err != nil {
		t.Fatalf("a call once the others ended: %v", err)
	}
}

// TestMaxWires: Connect beyond MaxWires fails with ErrLimit, Serve closes
// a connection beyond it at once (and logs it), and a wire that ends frees
// its place.
func TestMaxWires(t *testing.T) {
	h := &records{}
	server := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxWires: 2}), ipfi.WithLogger(slog.New(h)))
	w1, _ := newRawPeer(t, server)
	_, _ = newRawPeer(t, server)
	r, wr := io.Pipe()
	defer r.Close()
	if _, err := server.Connect(r, wr); !errors.Is(err, ipfi.ErrLimit) {
		t.Fatalf("a third Connect with MaxWires 2: %v, want ErrLimit", err)
	}
	addr, _ := serveLoopback(t, server)
	c, err := net.Dial("tcp", addr)
	must(t, err)
	defer c.Close()
	must(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	if n, err := c.Read(make([]byte, 1)); err == nil || n > 0 {
		t.Fatalf("a connection beyond MaxWires: read %d bytes, %v; want it closed at once", n, err)
	}
	if !strings.Contains(fmt.Sprint(h.messages()), "ipfi: connection refused") {
		t.Fatalf("a refused connection was not logged: %q", h.messages())
	}
	must(t, w1.Close())
	// The wire is forgotten once its actor has stopped: after Close.
	if _, err := server.Connect(r, wr); err != nil {
		t.Fatalf("Connect after a wire closed: %v", err)
	}
}

// messages returns the messages of the records.
func (h *records) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		out = append(out, r.Message)
	}
	return out
}

// TestCollectedResponseLimit: a call that collects its response whole
// fails with ErrLimit once the response passes MaxCollected, instead of
// buffering without end; a callee with the extensions is told to stop (its
// procedure's context is cancelled), and the wire goes on. Against a callee
// without them (Plain) the call fails all the same and the rest of the
// response is dropped as it arrives.
func TestCollectedResponseLimit(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plain=%v", plain), func(t *testing.T) {
			const value = 64 << 10
			stopped := make(chan error, 1)
			b := newInterface(t)
			must(t, b.Register(1, procedures.Sequence0(func(ctx context.Context, yield func([]byte) error) error {
				v := make([]byte, value)
				for n := 0; n < 256; n++ { // 16 MiB at most
					if err := yield(v); err != nil {
						stopped <- err
						return err
					}
				}
				stopped <- nil
				return nil
			})))
			must(t, b.Register(2, procedures.Func0(func(context.Context) (int, error) { return 2, nil })))
			a := newInterface(t, ipfi.WithLimits(ipfi.Limits{MaxCollected: 1 << 20}))
			var w *ipfi.Wire
			if plain {
				ca, cb := tcpPair(t)
				var err error
				w, err = a.Connect(ca, ca)
				must(t, err)
				_, err = b.Connect(cb, cb, ipfi.WithPlain())
				must(t, err)
			} else {
				w, _ = connect(t, tcp, a, b)
			}
			ctx := bounded(t, 10*time.Second)
			_, err := ipfi.Call[[]byte](ctx, w, 1)
			wantLimit(t, "collecting 16 MiB with MaxCollected 1 MiB", err, "MaxCollected")
			if !plain {
				if err := <-stopped; err == nil {
					t.Fatal("the procedure streamed its whole response: it was not told to stop")
				}
			}
			if got, err := ipfi.Call[int](ctx, w, 2); err != nil || got != 2 {
				t.Fatalf("a call after the refused response: %v, %v", got, err)
			}
		})
	}
}

// TestPeerThatDoesNotReadCannotGrowTheWriter: a peer that pings, calls an
// unknown procedure or calls an echo of 64 KiB without ever reading makes
// the callee hold at most about MaxWriteQueue for it (here 256 KiB):
// answers wait in goroutines bounded by the open-call limit, pongs are
// dropped, the reader stops past the bound; and the wire ends once its
// write has stalled for the write timeout. Before the writer was bounded
// the callee queued every answer (up to 27 bytes per byte received).
func TestPeerThatDoesNotReadCannotGrowTheWriter(t *testing.T) {
	echo := bytes.Repeat([]byte{0xc0}, 64<<10)
	for _, tc := range []struct {
		name  string
		frame func(n uint64) []byte
	}{
		{"pings", func(n uint64) []byte { return wire.AppendPing(nil, wire.KindPing, n) }},
		{"unknown procedure", func(n uint64) []byte { return frame(wire.KindCall, wire.TermComplete, 9, n, nil) }},
		{"echo 64 KiB", func(n uint64) []byte { return frame(wire.KindCall, wire.TermComplete, 1, n, echo) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const writeTimeout = 2 * time.Second
			i := newInterface(t,
				ipfi.WithLimits(ipfi.Limits{MaxWriteQueue: 256 << 10, MaxOpenCalls: 64}),
				ipfi.WithTimeouts(ipfi.Timeouts{Write: writeTimeout}))
			must(t, i.Register(1, procedures.Raw(func(_ context.Context, args []byte) ([]byte, error) { return args, nil })))
			server, client := tcpPair(t)
			defer client.Close()
			w, err := i.Connect(server, server)
			must(t, err)
			base := heapInUse()
			sent := make(chan int64, 1)
			go func() { // writes until the server stops reading or the wire ends
				buf := []byte{byte(wire.KindAnnounce)}
				var total int64
				for n := uint64(0); ; n++ {
					buf = append(buf, tc.frame(n%1024)...)
					if len(buf) < 64<<10 {
						continue
					}
					_ = client.SetWriteDeadline(time.Now().Add(writeTimeout + 3*time.Second))
					m, err := client.Write(buf)
					total += int64(m)
					if err != nil {
						sent <- total
						return
					}
					buf = buf[:0]
				}
			}()
			peak := int64(0)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			deadline := time.After(writeTimeout + 5*time.Second)
		watch:
			for {
				select {
				case <-tick.C:
					peak = max(peak, heapInUse()-base)
				case <-w.Done():
					break watch
				case <-deadline:
					t.Fatalf("the wire to a peer that never reads did not end (heap grew %d MiB)", peak>>20)
				}
			}
			client.Close()
			total := <-sent
			if !errors.Is(w.Err(), ipfi.ErrWriteTimeout) {
				t.Fatalf("the wire ended with %v, want ErrWriteTimeout", w.Err())
			}
			t.Logf("peer sent %d MiB; the callee's heap grew at most %d MiB", total>>20, peak>>20)
			if limit := int64(32 << 20); peak > limit {
				t.Fatalf("the callee's heap grew %d MiB for a peer that does not read, want under %d MiB", peak>>20, limit>>20)
			}
		})
	}
}

// heapInUse returns the bytes of the heap in use.
func heapInUse() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// TestLimitsAgainstPlainCaller: a caller that never announced the
// extensions (the Rust crate's format) is answered every refusal with an
// empty response (ErrRemote on this side), never an extension message,
// and the wire goes on: over MaxOpenCalls, MaxOpenStreams, MaxCalls and
// MaxWireArgs.
func TestLimitsAgainstPlainCaller(t *testing.T) {
	for _, tc := range []budgetsPlainCase{
		{"MaxOpenCalls", ipfi.Limits{MaxOpenCalls: 1}, 3, nil},
		{"MaxOpenStreams", ipfi.Limits{MaxOpenStreams: 1}, 1, nil},
		{"MaxCalls", ipfi.Limits{MaxCalls: 1}, 3, nil},
		{"MaxWireArgs", ipfi.Limits{MaxWireArgs: 64 << 10}, 3, []any{make([]byte, 96<<10)}},
	} {
		t.Run(tc.name, func(t *testing.T) { budgetsPlainRefusal(t, tc) })
	}
}

// budgetsPlainCase is a limit of TestLimitsAgainstPlainCaller and the call
// it refuses.
type budgetsPlainCase struct {
	name   string
	limits ipfi.Limits
	proc   procedures.Index // the procedure the refused call calls
	args   []any            // its arguments
}

// budgetsPlainRefusal runs a case of TestLimitsAgainstPlainCaller: a plain
// caller's call over tc's limit (with a blocked stream of procedure 1
// holding the place, except for MaxWireArgs) is refused with an empty
// response, and once the place is given back the wire serves again.
func budgetsPlainRefusal(t *testing.T, tc budgetsPlainCase) {
	blk := newBlocker()
	b := newInterface(t, ipfi.WithLimits(tc.limits))
	must(t, b.Register(1, blk.sequence()))
	must(t, b.Register(3, procedures.Raw(func(context.Context, []byte) ([]byte, error) { return []byte{0xc0}, nil })))
	ca, cb := tcpPair(t)
	w, err := newInterface(t).Connect(ca, ca, ipfi.WithPlain())
	must(t, err)
	_, err = b.Connect(cb, cb)
	must(t, err)
	ctx := bounded(t, 10*time.Second)
	var s *ipfi.Stream
	if tc.name != "MaxWireArgs" { // one call holds the place
		s, err = w.Stream(ctx, 1, nil)
		must(t, err)
		defer s.Close()
		<-blk.started
	}
	// Call (not a Raw reply, which takes the empty payload as it came)
	// reads an empty response as a failure.
	_, err = ipfi.Call[any](ctx, w, tc.proc, tc.args...)
	if !errors.Is(err, ipfi.ErrRemote) {
		t.Fatalf("a call over %s from a plain caller: %v, want ErrRemote (an empty response)", tc.name, err)
	}
	var re *ipfi.RemoteError
	if errors.As(err, &re) {
		t.Fatalf("a plain caller got an extension error message: %v", err)
	}
	close(blk.release)
	if s != nil {
		for {
			if _, err := recvRaw(s); err != nil {
				break // the call holding the place has ended
			}
		}
	}
	// The place is given back as the callee's call actor finishes,
	// just after its answer: a call right after may still find it
	// taken, and is refused; a few round trips later it is not.
	for try := 0; ; try++ {
		_, err := ipfi.Call[any](ctx, w, 3)
		if err == nil {
			break
		}
		if !errors.Is(err, ipfi.ErrRemote) || try == 100 {
			t.Fatalf("the wire after the refusal: %v", err)
		}
	}
}
