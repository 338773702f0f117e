package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// The benchmarks in this file measure floors: what a design pays on this
// machine before any protocol work, beside which a target can be judged
// (BENCHMARKS.md, "Where the time goes").

// BenchmarkRoundTripDirect is raw's unary_small without its framing: one
// goroutine writes 14 bytes to a loopback echo server and reads them back.
func BenchmarkRoundTripDirect(b *testing.B) {
	c, stop := startFloorEcho(b)
	defer stop()
	msg := make([]byte, 14)
	got := make([]byte, len(msg))
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundTripHandoff is the same round trip with the reply read by
// a reader goroutine of the connection and handed to the waiting caller
// through a channel, as on a connection that carries many callers' calls
// and the peer's calls (net/rpc's client, every ipfi wire): the hand-off
// wakes the parked caller, and the Go runtime then wakes an idle thread to
// look for work.
func BenchmarkRoundTripHandoff(b *testing.B) { benchHandoff(b, false) }

// BenchmarkRoundTripHandoffYield is BenchmarkRoundTripHandoff with the
// caller yielding once before it parks, as ipfi's Call.Wait does while few
// callers wait. Its time over BenchmarkRoundTripDirect's is the floor under
// a multiplexed client's unary_small ratio against raw (BENCHMARKS.md).
func BenchmarkRoundTripHandoffYield(b *testing.B) { benchHandoff(b, true) }

// benchHandoff is BenchmarkRoundTripHandoff, with the yield if yield.
func benchHandoff(b *testing.B, yield bool) {
	c, stop := startFloorEcho(b)
	defer stop()
	replies := make(chan []byte, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		br := bufio.NewReaderSize(c, 2048)
		for {
			got := make([]byte, 14)
			if _, err := io.ReadFull(br, got); err != nil {
				return
			}
			replies <- got
		}
	}()
	defer func() { c.Close(); <-readDone }()
	msg := make([]byte, 14)
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if yield {
			runtime.Gosched()
		}
		<-replies
	}
}

// startFloorEcho starts a loopback server that echoes what it reads, in
// the reading goroutine (as a Quick procedure answers), and returns a
// connection to it and the function that stops both.
func startFloorEcho(b *testing.B) (net.Conn, func()) {
	return dialFloor(b, func(s net.Conn) {
		buf := make([]byte, 2048)
		for {
			n, err := s.Read(buf)
			if err != nil {
				return
			}
			if _, err := s.Write(buf[:n]); err != nil {
				return
			}
		}
	})
}

// dialFloor starts a loopback server (serveTCP) whose connections handle
// serves, and returns a connection to it and the function that stops both.
func dialFloor(b *testing.B, handle func(net.Conn)) (net.Conn, func()) {
	srv, err := serveTCP(handle)
	if err != nil {
		b.Fatal(err)
	}
	c, err := net.Dial("tcp", srv.addr())
	if err != nil {
		srv.close()
		b.Fatal(err)
	}
	return c, func() { c.Close(); srv.close() }
}

// BenchmarkEcho64KWarm echoes 64 KiB over loopback, each side reading
// into one buffer it reuses (as raw's unary_64k does), and
// BenchmarkEcho64KFresh the same with a fresh buffer per message on each
// side, as a receiver that hands what it receives to code that keeps it
// must have (every RPC library's arguments and replies). Their ratio is the
// floor under a keeping receiver's unary_64k ratio against raw.
func BenchmarkEcho64KWarm(b *testing.B)  { benchEcho64K(b, false) }
func BenchmarkEcho64KFresh(b *testing.B) { benchEcho64K(b, true) }

// echoSink keeps benchEcho64K's fresh buffers from being optimised away.
var echoSink []byte

func benchEcho64K(b *testing.B, fresh bool) {
	const n = 64 << 10
	c, stop := dialFloor(b, func(s net.Conn) {
		buf := make([]byte, n)
		for {
			if fresh {
				buf = make([]byte, n)
			}
			if _, err := io.ReadFull(s, buf); err != nil {
				return
			}
			if _, err := s.Write(buf); err != nil {
				return
			}
		}
	})
	defer stop()
	msg := makeEcho(n)
	got := make([]byte, n)
	b.SetBytes(n)
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if fresh {
			got = make([]byte, n)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			b.Fatal(err)
		}
		echoSink = got
	}
}

// BenchmarkCallContext is what the standard contexts of an ordinary
// procedure's call cost per call, on both processors at once: "cause" is a
// call without a deadline (a context the call actor cancels with a cause),
// "deadline" one with (the same, and a child with the deadline, its timer
// started and stopped). The standard library offers no single context with
// both a deadline and a cancel cause. The library makes them once the
// procedure first looks at its context (actors.callContext, whose own
// benchmark shows what a procedure that never looks saves).
func BenchmarkCallContext(b *testing.B) {
	parent := context.WithValue(context.Background(), floorKey{}, 1)
	cause := errors.New("bench: call ended")
	b.Run("cause", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				ctx, cancel := context.WithCancelCause(parent)
				_ = ctx.Done() // made on demand, as a procedure's select makes it
				cancel(cause)
			}
		})
	})
	b.Run("deadline", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				pctx, cancel := context.WithCancelCause(parent)
				ctx, stop := context.WithTimeout(pctx, time.Hour)
				_ = ctx.Done() // made on demand, as a procedure's select makes it
				cancel(cause)
				stop()
			}
		})
	})
}

type floorKey struct{}

// BenchmarkParkedGoroutine reports what a goroutine parked on a channel
// costs in memory (heap and stacks in use after a collection, per
// goroutine): the floor under an open call whose procedure blocks on a
// goroutine of its own. It is measured once per process, the first time:
// goroutines that have ended keep their stacks for reuse, so a second
// measurement would count only what the first left.
func BenchmarkParkedGoroutine(b *testing.B) {
	parkedOnce.Do(func() { parkedBytes = measureParked(20_000) })
	for range b.N {
		b.ReportMetric(parkedBytes, "B/goroutine")
	}
}

var (
	parkedOnce  sync.Once
	parkedBytes float64
)

// measureParked parks n goroutines on a channel and returns the growth of
// heap and stacks in use per goroutine.
func measureParked(n int) float64 {
	var before, after runtime.MemStats
	release := make(chan struct{})
	defer close(release)
	runtime.GC()
	runtime.ReadMemStats(&before)
	started := make(chan struct{}, n)
	for range n {
		go func() {
			started <- struct{}{}
			<-release
		}()
	}
	for range n {
		<-started
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	inUse := func(m *runtime.MemStats) int64 { return int64(m.HeapInuse + m.StackInuse) }
	return float64(inUse(&after)-inUse(&before)) / float64(n)
}

// sink keeps benchFreshCopy's buffers from being optimised away.
var sink []byte

// BenchmarkFreshCopy64K is the floor under a received 64 KiB payload that
// its receiver keeps: a fresh buffer and one copy into it, per call.
func BenchmarkFreshCopy64K(b *testing.B) { benchFreshCopy(b, 64<<10, false) }

// BenchmarkWarmCopy64K is the same copy into one buffer kept warm, as
// raw TCP's receiver does.
func BenchmarkWarmCopy64K(b *testing.B) {
	src := makeEcho(64 << 10)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for range b.N {
		copy(dst, src)
	}
}

// BenchmarkReleasedCopy4M is a copy of 4 MiB into memory the Go runtime
// has just given back to the operating system (as its scavenger does with
// free memory over its goal): every page faults in again. Beside
// BenchmarkFreshCopy4M it shows what a page fault costs on this machine,
// which is what makes large echoes in a short-lived process slow.
func BenchmarkReleasedCopy4M(b *testing.B) { benchFreshCopy(b, 4<<20, true) }

// BenchmarkFreshCopy4M is a fresh 4 MiB buffer and one copy into it, the
// runtime reusing memory it kept.
func BenchmarkFreshCopy4M(b *testing.B) { benchFreshCopy(b, 4<<20, false) }

// benchFreshCopy copies n bytes into a fresh buffer per iteration; with
// released, the runtime first gives its free memory back to the operating
// system (outside the timer).
func benchFreshCopy(b *testing.B, n int, released bool) {
	src := makeEcho(n)
	b.SetBytes(int64(n))
	for range b.N {
		if released {
			b.StopTimer()
			sink = nil
			debug.FreeOSMemory()
			b.StartTimer()
		}
		dst := make([]byte, n)
		copy(dst, src)
		sink = dst
	}
}

// BenchmarkConnectPlain is raw's connect_call in a few lines: dial, write
// a 14-byte call, read the 14-byte answer, close. BenchmarkConnectAnnounced
// adds what a call that carries a deadline does first on a fresh ipfi
// wire: each side writes its 2-byte announcement as the connection opens
// (the server as it accepts), and the client sends the call only once it
// has read the server's, since a deadline is an extension message that a
// peer which has not announced must not be sent. Their ratio is the floor
// under connect_call's ratio against raw for such calls.
func BenchmarkConnectPlain(b *testing.B)     { benchConnect(b, false) }
func BenchmarkConnectAnnounced(b *testing.B) { benchConnect(b, true) }

// benchConnect is BenchmarkConnectPlain, with the announcements if
// announced.
func benchConnect(b *testing.B, announced bool) {
	announce := []byte{0xf0, 0xf9}
	call := make([]byte, 14)
	srv, err := serveTCP(func(c net.Conn) {
		in := len(call)
		if announced {
			if _, err := c.Write(announce); err != nil {
				return
			}
			in += len(announce)
		}
		buf := make([]byte, 64)
		if _, err := io.ReadFull(c, buf[:in]); err != nil {
			return
		}
		if _, err := c.Write(buf[:len(call)]); err != nil {
			return
		}
		_, _ = c.Read(buf) // until the client closes
	})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.close()
	got := make([]byte, len(call))
	for b.Loop() {
		c, err := net.Dial("tcp", srv.addr())
		if err != nil {
			b.Fatal(err)
		}
		if announced {
			if _, err := c.Write(announce); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, got[:len(announce)]); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := c.Write(call); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
