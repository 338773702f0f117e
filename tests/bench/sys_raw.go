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
)

// The raw baseline is the floor a Go RPC layer can reach: a hand-written TCP
// ping-pong. A message is a 4-byte little-endian length and a body. The
// client writes a request and reads the reply on its own goroutine; the
// server's connection goroutine reads a request and writes the reply. The
// bodies are the bytes ipfi put on the wire for the same call (see sample),
// and the server picks its reply by the request's length. An empty request
// asks for a stream: streamLen messages of a 4-byte counter, then an empty
// message. A request of 8 bytes, a count and a size (4 bytes each), asks
// for a stream of byte strings: count messages of size bytes (the echo
// pattern), then an empty message.

// rawServer answers raw requests.
type rawServer struct {
	*tcpServer
	replies   map[int][]byte // request body length -> framed reply
	streamLen int
}

func newRawServer(e *env) (*rawServer, error) {
	s := &rawServer{
		replies: map[int][]byte{
			len(e.small.request): frame(e.small.response),
		},
		streamLen: e.streamLen,
	}
	for _, x := range e.echoes {
		s.replies[len(x.request)] = frame(x.response)
	}
	if _, ok := s.replies[rawStreamReqLen]; ok {
		return nil, fmt.Errorf("bench: an ipfi request of %d bytes, the raw stream request's length", rawStreamReqLen)
	}
	var err error
	s.tcpServer, err = serveTCP(s.serve)
	return s, err
}

func (s *rawServer) serve(c net.Conn) {
	br := bufio.NewReaderSize(c, 32<<10)
	var body []byte
	for {
		var err error
		if body, err = readMsg(br, body); err != nil {
			return
		}
		if len(body) == 0 {
			if s.stream(c) != nil {
				return
			}
			continue
		}
		if len(body) == rawStreamReqLen {
			if streamBytes(c, body) != nil {
				return
			}
			continue
		}
		reply, ok := s.replies[len(body)]
		if !ok {
			return
		}
		if _, err := c.Write(reply); err != nil {
			return
		}
	}
}

func (s *rawServer) stream(c net.Conn) error {
	bw := bufio.NewWriterSize(c, 32<<10)
	var msg [8]byte
	binary.LittleEndian.PutUint32(msg[:4], 4)
	for i := range s.streamLen {
		binary.LittleEndian.PutUint32(msg[4:], uint32(i))
		if _, err := bw.Write(msg[:]); err != nil {
			return err
		}
	}
	var end [4]byte // an empty message ends the stream
	bw.Write(end[:])
	return bw.Flush()
}

// rawStreamReqLen is the length of a request for a stream of byte strings.
const rawStreamReqLen = 8

// streamBytes answers a request for a stream of byte strings.
func streamBytes(c net.Conn, req []byte) error {
	n, size := binary.LittleEndian.Uint32(req), binary.LittleEndian.Uint32(req[4:])
	msg := frame(makeEcho(int(size)))
	bw := bufio.NewWriterSize(c, 32<<10)
	for range n {
		if _, err := bw.Write(msg); err != nil {
			return err
		}
	}
	var end [4]byte // an empty message ends the stream
	bw.Write(end[:])
	return bw.Flush()
}

// rawSystem is the raw server and one client connection.
type rawSystem struct {
	srv       *rawServer
	e         *env
	rawConn          // the client connection
	small     []byte // framed requests
	streamReq []byte
	conns     callerPools[*rawConn] // the shapes with a connection per caller
}

// rawConn is a client connection: the system's, or one of a shape with a
// connection per caller.
type rawConn struct {
	c   net.Conn
	br  *bufio.Reader
	buf []byte
}

func startRaw(ctx context.Context, e *env) (system, error) {
	srv, err := newRawServer(e)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", srv.addr())
	if err != nil {
		srv.close()
		return nil, err
	}
	return &rawSystem{
		srv: srv, e: e, rawConn: rawConn{c: c, br: bufio.NewReaderSize(c, 32<<10)},
		small: frame(e.small.request), streamReq: frame(nil), conns: callerPools[*rawConn]{},
	}, nil
}

// op's operations are not safe for concurrent use, but for those of the
// shapes with a connection per caller.
func (s *rawSystem) op(scenario string) func(context.Context) error {
	if sh, ok := shapeOf(scenario); ok {
		return s.unary(sh)
	}
	if st, ok := streamShapeOf(scenario); ok {
		return s.bytesStream(st)
	}
	switch scenario {
	case stream100K:
		return s.stream
	case connectCall:
		return s.connectCall
	}
	return nil
}

// unary returns the operation of a unary shape: ipfi's bytes for the small
// call or the echo, replayed over the system's connection (one caller) or
// over a connection per caller. Several callers on one connection are
// rawmux's part.
func (s *rawSystem) unary(sh shape) func(context.Context) error {
	req, want := s.small, s.e.small.response
	if sh.size > 0 {
		x, sampled := s.e.echoes[sh.size]
		if !sampled {
			return nil
		}
		req, want = frame(x.request), x.response
	}
	if !sh.each && sh.callers > 1 {
		return nil
	}
	dial := func() (*rawConn, error) {
		c, err := net.Dial("tcp", s.srv.addr())
		if err != nil {
			return nil, err
		}
		return &rawConn{c: c, br: bufio.NewReaderSize(c, 4<<10)}, nil
	}
	return shapeOp(sh, &s.rawConn, s.conns, dial, closeRawConn, func(_ context.Context, rc *rawConn) error {
		return rc.roundTrip(req, want)
	})
}

func closeRawConn(rc *rawConn) error { return rc.c.Close() }

// roundTrip writes req and reads its reply, which must be want.
func (rc *rawConn) roundTrip(req, want []byte) error {
	if _, err := rc.c.Write(req); err != nil {
		return err
	}
	var err error
	if rc.buf, err = readMsg(rc.br, rc.buf); err != nil {
		return err
	}
	return checkRaw(rc.buf, want)
}

func (s *rawSystem) stream(context.Context) error {
	if _, err := s.c.Write(s.streamReq); err != nil {
		return err
	}
	var msg [8]byte
	for i := range s.e.streamLen {
		if _, err := io.ReadFull(s.br, msg[:]); err != nil {
			return err
		}
		if n, v := binary.LittleEndian.Uint32(msg[:4]), binary.LittleEndian.Uint32(msg[4:]); n != 4 || v != uint32(i) {
			return fmt.Errorf("bench: raw stream value %d: length %d value %d", i, n, v)
		}
	}
	if _, err := io.ReadFull(s.br, msg[:4]); err != nil {
		return err
	}
	if n := binary.LittleEndian.Uint32(msg[:4]); n != 0 {
		return fmt.Errorf("bench: raw stream did not end after %d values", s.e.streamLen)
	}
	return nil
}

// bytesStream returns the operation of a stream of byte strings: it asks
// for the stream and reads it.
func (s *rawSystem) bytesStream(st streamShape) func(context.Context) error {
	req := binary.LittleEndian.AppendUint32(nil, uint32(st.count))
	req = frame(binary.LittleEndian.AppendUint32(req, uint32(st.size)))
	want := makeEcho(st.size)
	return func(context.Context) error {
		if _, err := s.c.Write(req); err != nil {
			return err
		}
		for i := 0; ; i++ {
			var err error
			if s.buf, err = readMsg(s.br, s.buf); err != nil {
				return err
			}
			if len(s.buf) == 0 {
				return st.checkCount("raw", i)
			}
			if i == st.count {
				return fmt.Errorf("bench: raw stream did not end after %d values", st.count)
			}
			if err := checkEcho(s.buf, want); err != nil {
				return fmt.Errorf("value %d: %w", i, err)
			}
		}
	}
}

func (s *rawSystem) connectCall(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.srv.addr())
	if err != nil {
		return err
	}
	if _, err = c.Write(s.small); err == nil {
		var reply []byte
		if reply, err = readMsg(bufio.NewReaderSize(c, 256), nil); err == nil {
			err = checkRaw(reply, s.e.small.response)
		}
	}
	return errors.Join(err, c.Close())
}

func (s *rawSystem) close() error {
	return errors.Join(s.conns.close(closeRawConn), s.c.Close(), s.srv.close())
}

// frame returns body behind its 4-byte length.
func frame(body []byte) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// readMsg reads one message's body into buf (grown as needed) and returns it.
func readMsg(r *bufio.Reader, buf []byte) ([]byte, error) {
	hdr, err := r.Peek(4)
	if err != nil {
		return buf[:0], err
	}
	n := int(binary.LittleEndian.Uint32(hdr))
	r.Discard(4)
	if n > 1<<24 {
		return buf[:0], fmt.Errorf("bench: raw message of %d bytes", n)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err = io.ReadFull(r, buf)
	return buf, err
}

// checkRaw compares a raw reply with the bytes ipfi sent: all of a small
// one, the length and a few bytes of a large one (as checkEcho).
func checkRaw(got, want []byte) error {
	if len(want) <= 64 {
		if !bytes.Equal(got, want) {
			return fmt.Errorf("bench: raw reply %x, want %x", got, want)
		}
		return nil
	}
	return checkEcho(got, want)
}
