package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// The rawmux baseline is a hand-written TCP multiplexer, the floor for many
// callers on one connection. A frame is a 4-byte request id, a 4-byte length
// and a body (the bytes ipfi sent for the same call). Each side has one
// reader goroutine and one writer goroutine; the writer takes frames from a
// channel and writes all it finds queued in one flush. Callers wait on a
// per-request channel that the client's reader fills. The server picks its
// reply by the request's length, as raw's does. rawmux answers the shapes
// of several callers on one connection, small calls and echoes.

var errMuxClosed = errors.New("bench: rawmux connection closed")

// muxWriter is one side's writer goroutine.
type muxWriter struct {
	in   chan []byte
	quit chan struct{} // closed by the owner: stop
	done chan struct{} // closed when the goroutine has ended
}

func startMuxWriter(c net.Conn) *muxWriter {
	w := &muxWriter{in: make(chan []byte, 256), quit: make(chan struct{}), done: make(chan struct{})}
	go w.run(c)
	return w
}

func (w *muxWriter) run(c net.Conn) {
	defer close(w.done)
	bw := bufio.NewWriterSize(c, 32<<10)
	for {
		select {
		case f := <-w.in:
			bw.Write(f)
			for more := true; more; {
				select {
				case f := <-w.in:
					bw.Write(f)
				default:
					more = false
				}
			}
			if bw.Flush() != nil {
				return
			}
		case <-w.quit:
			return
		}
	}
}

// send queues one frame; it fails once the writer has ended.
func (w *muxWriter) send(f []byte) error {
	select {
	case w.in <- f:
		return nil
	case <-w.done:
		return errMuxClosed
	}
}

// stop ends the writer and waits for it.
func (w *muxWriter) stop() { close(w.quit); <-w.done }

// muxFrame returns a frame of body for request id.
func muxFrame(id uint32, body []byte) []byte {
	f := make([]byte, 8, 8+len(body))
	binary.LittleEndian.PutUint32(f, id)
	binary.LittleEndian.PutUint32(f[4:], uint32(len(body)))
	return append(f, body...)
}

// readMuxFrame reads one frame; the body is newly allocated.
func readMuxFrame(br *bufio.Reader) (uint32, []byte, error) {
	hdr, err := br.Peek(8)
	if err != nil {
		return 0, nil, err
	}
	id, n := binary.LittleEndian.Uint32(hdr), binary.LittleEndian.Uint32(hdr[4:])
	br.Discard(8)
	if n > 1<<24 {
		return 0, nil, fmt.Errorf("bench: rawmux frame of %d bytes", n)
	}
	body := make([]byte, n)
	_, err = io.ReadFull(br, body)
	return id, body, err
}

// muxReplies are the server's replies: the small call's, and the echoes' by
// request length.
type muxReplies struct {
	smallLen int
	small    []byte
	echoes   map[int][]byte
}

func newMuxReplies(e *env) *muxReplies {
	r := &muxReplies{smallLen: len(e.small.request), small: e.small.response, echoes: map[int][]byte{}}
	for _, x := range e.echoes {
		r.echoes[len(x.request)] = x.response
	}
	return r
}

// reply returns the reply to a request of n bytes (nil: none).
func (r *muxReplies) reply(n int) []byte {
	if n == r.smallLen {
		return r.small
	}
	return r.echoes[n]
}

// serveMux is the server side of one connection: this goroutine reads
// requests and queues the replies to the connection's writer.
func serveMux(c net.Conn, replies *muxReplies) {
	w := startMuxWriter(c)
	defer w.stop()
	br := bufio.NewReaderSize(c, 32<<10)
	for {
		id, body, err := readMuxFrame(br)
		if err != nil {
			return
		}
		reply := replies.reply(len(body))
		if reply == nil || w.send(muxFrame(id, reply)) != nil {
			return
		}
	}
}

// rawMuxSystem is the rawmux server and one client connection.
type rawMuxSystem struct {
	e        *env
	srv      *tcpServer
	conn     net.Conn
	w        *muxWriter
	readDone chan struct{}
	chans    sync.Pool // of chan []byte

	mu      sync.Mutex
	next    uint32
	waiting map[uint32]chan []byte
	err     error
}

func startRawMux(ctx context.Context, e *env) (system, error) {
	replies := newMuxReplies(e)
	srv, err := serveTCP(func(c net.Conn) { serveMux(c, replies) })
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", srv.addr())
	if err != nil {
		srv.close()
		return nil, err
	}
	s := &rawMuxSystem{
		e: e, srv: srv, conn: c, w: startMuxWriter(c),
		readDone: make(chan struct{}), waiting: make(map[uint32]chan []byte),
	}
	s.chans.New = func() any { return make(chan []byte, 1) }
	go s.read()
	return s, nil
}

func (s *rawMuxSystem) op(scenario string) func(context.Context) error {
	sh, ok := shapeOf(scenario)
	if !ok || sh.each || sh.callers <= 1 {
		return nil
	}
	if sh.size == 0 {
		req, want := s.e.small.request, s.e.small.response
		return func(ctx context.Context) error { return s.call(ctx, req, want, checkMuxSmall) }
	}
	x, sampled := s.e.echoes[sh.size]
	if !sampled {
		return nil
	}
	return func(ctx context.Context) error { return s.call(ctx, x.request, x.response, checkEcho) }
}

// checkMuxSmall compares a reply to the small call with ipfi's, all of it.
func checkMuxSmall(reply, want []byte) error {
	if !bytes.Equal(reply, want) {
		return fmt.Errorf("bench: rawmux reply %x, want %x", reply, want)
	}
	return nil
}

// call sends req and checks its reply against want with check.
func (s *rawMuxSystem) call(ctx context.Context, req, want []byte, check func(reply, want []byte) error) error {
	ch := s.chans.Get().(chan []byte)
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return s.err
	}
	id := s.next
	s.next++
	s.waiting[id] = ch
	s.mu.Unlock()
	if err := s.w.send(muxFrame(id, req)); err != nil {
		return err
	}
	select {
	case reply := <-ch:
		s.chans.Put(ch)
		return check(reply, want)
	case <-s.readDone:
		return errMuxClosed
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// read is the client's reader goroutine: it hands each reply to its caller.
func (s *rawMuxSystem) read() {
	defer close(s.readDone)
	br := bufio.NewReaderSize(s.conn, 32<<10)
	for {
		id, body, err := readMuxFrame(br)
		s.mu.Lock()
		if err != nil {
			s.err = errMuxClosed
			s.mu.Unlock()
			return
		}
		ch := s.waiting[id]
		delete(s.waiting, id)
		s.mu.Unlock()
		if ch != nil {
			ch <- body
		}
	}
}

func (s *rawMuxSystem) close() error {
	err := s.conn.Close()
	<-s.readDone
	s.w.stop()
	return errors.Join(err, s.srv.close())
}
