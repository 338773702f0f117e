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
// message.

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

// rawSystem is the raw server and one client connection.
type rawSystem struct {
	srv       *rawServer
	e         *env
	conn      net.Conn
	br        *bufio.Reader
	buf       []byte
	small     []byte // framed requests
	streamReq []byte
	conns     lazyPool[*rawConn] // c64Conns
}

// rawConn is one client connection of the many-connections scenario.
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
		srv: srv, e: e, conn: c, br: bufio.NewReaderSize(c, 32<<10),
		small: frame(e.small.request), streamReq: frame(nil),
	}, nil
}

// op's operations are not safe for concurrent use, but for c64Conns's,
// which give each caller a connection of its own.
func (s *rawSystem) op(scenario string) func(context.Context) error {
	if n, ok := echoSize(scenario); ok {
		x, sampled := s.e.echoes[n]
		if !sampled {
			return nil
		}
		req := frame(x.request)
		return func(context.Context) error { return s.roundTrip(req, x.response) }
	}
	switch scenario {
	case unarySmall:
		return func(context.Context) error { return s.roundTrip(s.small, s.e.small.response) }
	case stream100K:
		return s.stream
	case connectCall:
		return s.connectCall
	case c64Conns:
		dial := func() (*rawConn, error) {
			c, err := net.Dial("tcp", s.srv.addr())
			if err != nil {
				return nil, err
			}
			return &rawConn{c: c, br: bufio.NewReaderSize(c, 4<<10)}, nil
		}
		do := s.conns.op(c64, dial, closeRawConn, func(rc *rawConn) error {
			if _, err := rc.c.Write(s.small); err != nil {
				return err
			}
			var err error
			if rc.buf, err = readMsg(rc.br, rc.buf); err != nil {
				return err
			}
			return checkRaw(rc.buf, s.e.small.response)
		})
		return func(context.Context) error { return do() }
	}
	return nil
}

func closeRawConn(rc *rawConn) error { return rc.c.Close() }

func (s *rawSystem) roundTrip(req, want []byte) error {
	if _, err := s.conn.Write(req); err != nil {
		return err
	}
	var err error
	if s.buf, err = readMsg(s.br, s.buf); err != nil {
		return err
	}
	return checkRaw(s.buf, want)
}

func (s *rawSystem) stream(context.Context) error {
	if _, err := s.conn.Write(s.streamReq); err != nil {
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
	return errors.Join(s.conns.p.close(closeRawConn), s.conn.Close(), s.srv.close())
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
