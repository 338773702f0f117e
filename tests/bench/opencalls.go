package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// callsPerIndex is how many of the open calls go to one procedure index:
// a wire allows at most 65,536 open calls per index (as the Rust crate).
const callsPerIndex = 50_000

// The memory of an open call is measured in three parts, because both sides
// share one process:
//
//   - client side: an ipfi client starts n calls with Wire.Start toward a
//     peer that reads and never answers;
//   - server side: a peer writes n call frames, by hand, to an ipfi server
//     whose procedure blocks until released (one goroutine each);
//   - end to end: an ipfi client and server on one wire, n calls open, then
//     released and checked. Its figure is printed as a cross-check only: its
//     procedures reuse the goroutine records the server-side run left behind,
//     so it counts less than the sum.

// blocking is a server whose procedures (indices 1 to k) block until
// released.
type blocking struct {
	srv     *ipfi.Interface
	running atomic.Int64
	release chan struct{}
}

func newBlocking(n int) (*blocking, error) {
	srv, err := ipfi.New(ipfi.WithLimits(ipfi.Limits{MaxOpenCalls: 1 << 20, MaxCalls: 1 << 20}))
	if err != nil {
		return nil, err
	}
	b := &blocking{srv: srv, release: make(chan struct{})}
	block := procedures.Func0(func(ctx context.Context) (struct{}, error) {
		b.running.Add(1)
		select {
		case <-b.release:
		case <-ctx.Done():
		}
		return struct{}{}, nil
	})
	for i := range indicesFor(n) {
		if err := b.srv.Register(procedures.Index(1+i), block); err != nil {
			b.srv.Close()
			return nil, err
		}
	}
	return b, nil
}

// waitRunning waits until n procedures have started.
func (b *blocking) waitRunning(ctx context.Context, n int) error {
	err := waitFor(ctx, 2*time.Minute, func() bool { return b.running.Load() >= int64(n) })
	if err != nil {
		return fmt.Errorf("%d of %d procedures running: %w", b.running.Load(), n, err)
	}
	return nil
}

func indicesFor(n int) int { return (n + callsPerIndex - 1) / callsPerIndex }

// callAt returns the procedure and call index of the i-th open call.
func callAt(i int) (procedures.Index, uint64) {
	return procedures.Index(1 + i/callsPerIndex), uint64(i % callsPerIndex)
}

// openCallBytes fills in the open-call figures of m for n calls.
func openCallBytes(ctx context.Context, n int, m *memoryResult) error {
	var err error
	if m.callClient, err = openCallsClient(ctx, n); err != nil {
		return fmt.Errorf("client side: %w", err)
	}
	if m.callSrv, err = openCallsServer(ctx, n); err != nil {
		return fmt.Errorf("server side: %w", err)
	}
	if m.callEndToEnd, err = openCallsEndToEnd(ctx, n); err != nil {
		return fmt.Errorf("end to end: %w", err)
	}
	m.openCalls = n
	m.OpenCallBytes = m.callClient + m.callSrv
	return nil
}

// openCallsClient returns the client-side memory per open call.
func openCallsClient(ctx context.Context, n int) (float64, error) {
	a, b, err := tcpPair()
	if err != nil {
		return 0, err
	}
	var drained sync.WaitGroup
	drained.Go(func() { io.Copy(io.Discard, b) })
	defer func() { b.Close(); drained.Wait() }()
	cli, err := ipfi.New()
	if err != nil {
		a.Close()
		return 0, err
	}
	defer cli.Close()
	w, err := cli.Connect(a, a)
	if err != nil {
		a.Close()
		return 0, err
	}
	pending := make([]*ipfi.Pending, n)
	before := memInUse()
	for i := range pending {
		proc, _ := callAt(i)
		if pending[i], err = w.Start(ctx, proc); err != nil {
			return 0, fmt.Errorf("call %d: %w", i, err)
		}
	}
	after := memInUse()
	w.Close()
	for i, p := range pending {
		select {
		case <-p.Done():
		default:
			return 0, fmt.Errorf("call %d still pending after its wire closed", i)
		}
	}
	return perItem(before, after, n), nil
}

// openCallsServer returns the server-side memory per open call.
func openCallsServer(ctx context.Context, n int) (float64, error) {
	bs, err := newBlocking(n)
	if err != nil {
		return 0, err
	}
	defer bs.srv.Close()
	defer close(bs.release)
	a, b, err := tcpPair()
	if err != nil {
		return 0, err
	}
	var drained sync.WaitGroup
	drained.Go(func() { io.Copy(io.Discard, a) })
	defer func() { a.Close(); drained.Wait() }()
	if _, err := bs.srv.Connect(b, b); err != nil {
		b.Close()
		return 0, err
	}
	before := memInUse()
	var buf []byte
	for i := range n {
		proc, call := callAt(i)
		buf = wire.AppendFrame(buf, wire.Frame{Kind: wire.KindCall, Terminator: wire.TermComplete, Procedure: uint64(proc), Call: call})
		if len(buf) >= 32<<10 || i == n-1 {
			if _, err := a.Write(buf); err != nil {
				return 0, err
			}
			buf = buf[:0]
		}
	}
	buf = nil
	if err := bs.waitRunning(ctx, n); err != nil {
		return 0, err
	}
	return perItem(before, memInUse(), n), nil
}

// openCallsEndToEnd returns the memory per open call with both sides on one
// wire, then releases the calls and checks that every one completes.
func openCallsEndToEnd(ctx context.Context, n int) (float64, error) {
	bs, err := newBlocking(n)
	if err != nil {
		return 0, err
	}
	defer bs.srv.Close()
	cli, err := ipfi.New()
	if err != nil {
		return 0, err
	}
	defer cli.Close()
	a, b, err := tcpPair()
	if err != nil {
		return 0, err
	}
	if _, err := bs.srv.Connect(b, b); err != nil {
		a.Close()
		b.Close()
		return 0, err
	}
	w, err := cli.Connect(a, a)
	if err != nil {
		a.Close()
		return 0, err
	}
	pending := make([]*ipfi.Pending, n)
	before := memInUse()
	for i := range pending {
		proc, _ := callAt(i)
		if pending[i], err = w.Start(ctx, proc); err != nil {
			close(bs.release)
			return 0, fmt.Errorf("call %d: %w", i, err)
		}
	}
	err = bs.waitRunning(ctx, n)
	var per float64
	if err == nil {
		per = perItem(before, memInUse(), n)
	}
	close(bs.release)
	if err != nil {
		return 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for i, p := range pending {
		if err := p.Wait(wctx, nil); err != nil {
			return 0, errors.Join(fmt.Errorf("call %d after release: %w", i, err), w.Close())
		}
	}
	return per, w.Close()
}
