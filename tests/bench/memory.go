package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/ipfi-go/ipfi"
)

// memoryResult is what the memory measurements found (ipfi only). Bytes
// are HeapInuse + StackInuse after a GC, the change divided by the count.
type memoryResult struct {
	IdleWireBytes float64 `json:"idle_wire_bytes"` // per idle server wire (as Serve makes them), bare TCP pair subtracted
	OpenCallBytes float64 `json:"open_call_bytes"` // per open call: client side + server side

	idleWires, idleWanted int     // wires measured, wires asked for
	idleStack             float64 // the goroutine stacks' part of IdleWireBytes
	openCalls             int     // open calls measured
	callClient, callSrv   float64 // the split of OpenCallBytes
	callEndToEnd          float64 // both sides on one wire in one measurement
}

// memUse is a reading of the memory in use.
type memUse struct{ heap, stack int64 }

func (m memUse) total() int64 { return m.heap + m.stack }

func (m memUse) minus(o memUse) memUse { return memUse{m.heap - o.heap, m.stack - o.stack} }

// readMem returns HeapInuse and StackInuse after a full collection.
func readMem() memUse {
	runtime.GC()
	runtime.GC() // a second cycle frees what the first one's finalizers released
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memUse{int64(ms.HeapInuse), int64(ms.StackInuse)}
}

// memInUse returns HeapInuse + StackInuse after a full collection.
func memInUse() int64 { return readMem().total() }

// perItem returns the change from before to after, per item.
func perItem(before, after int64, n int) float64 { return float64(after-before) / float64(n) }

// fitPairs raises the soft limit on open files to the hard one and returns
// how many loopback connection pairs (two descriptors each, both ends in this
// process) fit beside the descriptors already open: want if it fits, else the
// most that fits rounded down to a hundred.
func fitPairs(want int) (int, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return 0, err
		}
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	room := (int64(min(rl.Cur, 1<<30)) - int64(len(fds)) - 64) / 2
	if int64(want) <= room {
		return want, nil
	}
	if room < 100 {
		return 0, fmt.Errorf("bench: room for %d connection pairs only", room)
	}
	return int(room / 100 * 100), nil
}

// idleWireBytes measures n idle wires on one server interface: the memory
// of n loopback pairs whose server ends are ipfi wires, less that of n bare
// pairs measured the same way. It returns the cost per wire, all of it and
// the stacks' part.
func idleWireBytes(ctx context.Context, n int) (total, stack float64, err error) {
	bare, err := pairsCost(ctx, n, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("bare pairs: %w", err)
	}
	srv, err := ipfi.New()
	if err != nil {
		return 0, 0, err
	}
	defer srv.Close()
	wired, err := pairsCost(ctx, n, srv)
	if err != nil {
		return 0, 0, fmt.Errorf("ipfi wires: %w", err)
	}
	d := wired.minus(bare)
	return float64(d.total()) / float64(n), float64(d.stack) / float64(n), nil
}

// pairsCost opens n loopback connection pairs and returns how much memory
// they hold while idle. If srv is not nil, each accepted end becomes one of
// its wires, made as Serve makes them (WithExclusiveConn), and the cost
// includes the wires' reader goroutines, which pairsCost waits for.
// Everything is closed before it returns.
func pairsCost(ctx context.Context, n int, srv *ipfi.Interface) (memUse, error) {
	l, err := listen()
	if err != nil {
		return memUse{}, err
	}
	defer l.Close()
	clients := make([]net.Conn, 0, n)
	servers := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
		if srv == nil {
			for _, c := range servers {
				c.Close()
			}
		}
	}()
	accepted := make(chan error, 1)
	g0 := runtime.NumGoroutine()
	before := readMem()
	go func() {
		for range n {
			c, err := l.Accept()
			if err == nil && srv != nil {
				if _, err = srv.Connect(c, c, ipfi.WithExclusiveConn()); err != nil {
					c.Close()
				}
			}
			if err != nil {
				accepted <- err
				return
			}
			servers = append(servers, c)
		}
		accepted <- nil
	}()
	var d net.Dialer
	for range n {
		c, err := d.DialContext(ctx, "tcp", l.Addr().String())
		if err != nil {
			l.Close() // ends the accepting goroutine
			<-accepted
			return memUse{}, err
		}
		clients = append(clients, c)
	}
	if err := <-accepted; err != nil {
		return memUse{}, err
	}
	if srv != nil {
		// Each wire's reader goroutine starts when its actor does: wait for
		// n more goroutines, or for their number to settle (others may end
		// meanwhile).
		last, since := runtime.NumGoroutine(), time.Now()
		_ = waitFor(ctx, 20*time.Second, func() bool {
			g := runtime.NumGoroutine()
			if g != last {
				last, since = g, time.Now()
			}
			return g >= g0+n || time.Since(since) > 250*time.Millisecond
		})
	}
	after := readMem()
	runtime.KeepAlive(clients)
	runtime.KeepAlive(servers)
	return after.minus(before), nil
}

// waitFor polls cond until it holds, ctx is done or limit has passed.
func waitFor(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("bench: timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}
