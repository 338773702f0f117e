package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
)

// The stream floors: raw's stream_100k in a few lines (StreamDirect), and
// the same stream with the hand-offs a stream over a shared connection
// makes for every value it sends as soon as it is yielded (StreamHandoff).
// Each sends b.N values of 8 bytes (a 4-byte length and a 4-byte
// counter, raw's messages) over loopback TCP; the figures are per value.
// StreamHandoff's time over StreamDirect's is the floor under a
// multiplexed stream's stream_100k ratio against raw (BENCHMARKS.md).

// BenchmarkStreamDirect: one server goroutine writes the values through a
// buffered writer, the benchmark's goroutine reads them through a buffered
// reader, as raw's stream does.
func BenchmarkStreamDirect(b *testing.B) { benchStreamFloor(b, streamDirect, readStreamDirect) }

// BenchmarkStreamHandoff: the producer appends each value to the
// connection's pending bytes under a mutex (a connection's writer is
// shared by every call on it), writing them itself once 16 KiB are pending
// and nobody is writing, and otherwise starting a flusher goroutine if
// none is running, so that a value never waits for the next. On the other
// side a reader goroutine reads the connection, parses each message, and
// hands each read's values, in one run, to the consumer goroutine, which
// waits for runs on a channel.
func BenchmarkStreamHandoff(b *testing.B) { benchStreamFloor(b, streamHandoff, readStreamHandoff) }

// streamMsgLen is the length of one value's message.
const streamMsgLen = 8

// benchStreamFloor asks a loopback server for a stream of b.N values,
// which serve sends, and reads them with read.
func benchStreamFloor(b *testing.B, serve func(c net.Conn, n int) error, read func(c net.Conn, n int) error) {
	c, stop := dialFloor(b, func(s net.Conn) {
		var req [4]byte
		for {
			if _, err := io.ReadFull(s, req[:]); err != nil {
				return
			}
			if serve(s, int(binary.LittleEndian.Uint32(req[:]))) != nil {
				return
			}
		}
	})
	defer stop()
	var req [4]byte
	binary.LittleEndian.PutUint32(req[:], uint32(b.N))
	b.ResetTimer()
	if _, err := c.Write(req[:]); err != nil {
		b.Fatal(err)
	}
	if err := read(c, b.N); err != nil {
		b.Fatal(err)
	}
}

// putStreamMsg writes value i's message into msg.
func putStreamMsg(msg []byte, i int) {
	binary.LittleEndian.PutUint32(msg, 4)
	binary.LittleEndian.PutUint32(msg[4:], uint32(i))
}

// checkStreamMsg checks that msg is value i's message.
func checkStreamMsg(msg []byte, i int) error {
	if n, v := binary.LittleEndian.Uint32(msg), binary.LittleEndian.Uint32(msg[4:]); n != 4 || v != uint32(i) {
		return fmt.Errorf("bench: stream value %d: length %d value %d", i, n, v)
	}
	return nil
}

func streamDirect(c net.Conn, n int) error {
	bw := bufio.NewWriterSize(c, 32<<10)
	var msg [streamMsgLen]byte
	for i := range n {
		putStreamMsg(msg[:], i)
		if _, err := bw.Write(msg[:]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func readStreamDirect(c net.Conn, n int) error {
	br := bufio.NewReaderSize(c, 32<<10)
	var msg [streamMsgLen]byte
	for i := range n {
		if _, err := io.ReadFull(br, msg[:]); err != nil {
			return err
		}
		if err := checkStreamMsg(msg[:], i); err != nil {
			return err
		}
	}
	return nil
}

// floorWriter is StreamHandoff's connection writer: pending bytes under a
// mutex, written by the producer or by a flusher goroutine, one writer at
// a time.
type floorWriter struct {
	c  net.Conn
	wg sync.WaitGroup // the flusher goroutines

	mu       sync.Mutex
	pending  []byte
	spare    []byte
	flushing bool // someone is writing
	kicked   bool // a flusher goroutine has started and not yet run
	err      error
}

// gatherFrom is how many pending bytes make the producer write them
// itself.
const gatherFrom = 16 << 10

// add queues msg, and has it written.
func (w *floorWriter) add(msg []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, msg...)
	switch {
	case w.flushing:
	case len(w.pending) >= gatherFrom:
		w.flushLocked()
	case !w.kicked:
		w.kicked = true
		w.wg.Add(1)
		go w.flusher()
	}
	return w.err
}

// flusher writes what is pending, unless someone else is writing it.
func (w *floorWriter) flusher() {
	defer w.wg.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.kicked = false
	if !w.flushing {
		w.flushLocked()
	}
}

// flushLocked writes until nothing is pending. Called with mu held and
// nobody writing; mu is released during each write.
func (w *floorWriter) flushLocked() {
	w.flushing = true
	for len(w.pending) > 0 && w.err == nil {
		buf := w.pending
		w.pending, w.spare = w.spare[:0], nil
		w.mu.Unlock()
		_, err := w.c.Write(buf)
		w.mu.Lock()
		w.spare = buf[:0]
		if err != nil {
			w.err = err
		}
	}
	w.flushing = false
}

// finish waits for the flusher goroutines and writes what is left.
func (w *floorWriter) finish() error {
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	return w.err
}

func streamHandoff(c net.Conn, n int) error {
	w := &floorWriter{c: c}
	var msg [streamMsgLen]byte
	for i := range n {
		putStreamMsg(msg[:], i)
		if err := w.add(msg[:]); err != nil {
			break
		}
	}
	return w.finish()
}

// floorQueue is StreamHandoff's hand-off from the reader goroutine to the
// consumer: runs of messages under a mutex, and a one-slot signal.
type floorQueue struct {
	notify chan struct{}

	mu   sync.Mutex
	runs [][]byte // each a whole number of messages
	err  error    // the reader's end
}

// push queues run, or records the reader's end if err is not nil.
func (q *floorQueue) push(run []byte, err error) {
	q.mu.Lock()
	if err != nil {
		q.err = err
	} else {
		q.runs = append(q.runs, run)
	}
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// take returns the runs queued, waiting for one if there are none, or the
// reader's end; into, the runs it returned before, all consumed, holds the
// next ones.
func (q *floorQueue) take(into [][]byte) ([][]byte, error) {
	for {
		q.mu.Lock()
		runs, err := q.runs, q.err
		if len(runs) > 0 {
			q.runs = into[:0] // into's runs were all consumed
		}
		q.mu.Unlock()
		if len(runs) > 0 || err != nil {
			return runs, err
		}
		<-q.notify
	}
}

// readRuns is StreamHandoff's reader goroutine: it reads c, parses every
// whole message it has (checking its length) and queues each read's
// messages as one run, until n have come or c fails.
func readRuns(c net.Conn, n int, q *floorQueue) {
	buf := make([]byte, 64<<10)
	have := 0
	for n > 0 {
		k, err := c.Read(buf[have:])
		if err != nil {
			q.push(nil, err)
			return
		}
		have += k
		whole := have - have%streamMsgLen
		run := make([]byte, 0, whole)
		for off := 0; off < whole; off += streamMsgLen {
			if binary.LittleEndian.Uint32(buf[off:]) != 4 {
				q.push(nil, errors.New("bench: stream message of a bad length"))
				return
			}
			run = append(run, buf[off:off+streamMsgLen]...)
		}
		n -= whole / streamMsgLen
		have = copy(buf, buf[whole:have])
		q.push(run, nil)
	}
}

func readStreamHandoff(c net.Conn, n int) error {
	q := &floorQueue{notify: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		readRuns(c, n, q)
	}()
	defer func() { <-done }()
	var runs [][]byte
	for i := 0; i < n; {
		var err error
		if runs, err = q.take(runs); err != nil {
			return err
		}
		for _, run := range runs {
			for off := 0; off < len(run); off += streamMsgLen {
				if err := checkStreamMsg(run[off:], i); err != nil {
					return err
				}
				i++
			}
		}
	}
	return nil
}
