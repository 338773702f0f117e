package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/ipfi-go/ipfi"
)

// sample is what one steady-state ipfi call puts on the wire: every byte the
// client wrote for it and every byte the server wrote back. The raw baselines
// replay these bytes, so they always move what ipfi moves.
type sample struct{ request, response []byte }

// sampleIPFI records the bytes of a small call and of an echo of each of
// sizes over a loopback TCP connection, each after a first call of its kind
// (so that nothing sent once per wire is counted).
func sampleIPFI(ctx context.Context, sizes []int) (small sample, echoes map[int]sample, err error) {
	srv, err := newIPFIServer(false)
	if err != nil {
		return small, nil, err
	}
	cli, err := ipfi.New()
	if err != nil {
		return small, nil, errors.Join(err, srv.Close())
	}
	defer func() { err = errors.Join(err, cli.Close(), srv.Close()) }()
	a, b, err := tcpPair()
	if err != nil {
		return small, nil, err
	}
	ra, rb := &recorder{Conn: a}, &recorder{Conn: b}
	if _, err = srv.Connect(rb, rb); err != nil {
		a.Close()
		b.Close()
		return small, nil, err
	}
	w, err := cli.Connect(ra, ra)
	if err != nil {
		a.Close()
		return small, nil, err
	}
	sys := &ipfiSystem{w: w}
	record := func(call func(context.Context) error) (sample, error) {
		for i := range 2 {
			ra.take()
			rb.take()
			if err := call(ctx); err != nil {
				return sample{}, fmt.Errorf("bench: sampling ipfi, call %d: %w", i, err)
			}
		}
		s := sample{request: ra.take(), response: rb.take()}
		if len(s.request) == 0 || len(s.response) == 0 {
			return s, errors.New("bench: sampling ipfi: a call wrote nothing")
		}
		return s, nil
	}
	if small, err = record(func(ctx context.Context) error { return concatCall(ctx, w) }); err != nil {
		return small, nil, err
	}
	echoes = make(map[int]sample, len(sizes))
	for _, n := range sizes {
		payload := makeEcho(n)
		if echoes[n], err = record(func(ctx context.Context) error { return sys.echoCall(ctx, w, payload) }); err != nil {
			return small, nil, err
		}
	}
	return small, echoes, nil
}

// recorder is a net.Conn that keeps a copy of everything written to it. It
// records before writing, so that once the peer has read the bytes they are
// in the record.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.buf = append(r.buf, p...)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

// take returns what was written since the last take.
func (r *recorder) take() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buf
	r.buf = nil
	return b
}

// tcpPair returns both ends of a new loopback TCP connection.
func tcpPair() (net.Conn, net.Conn, error) {
	l, err := listen()
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := l.Accept()
		ch <- accepted{c, err}
	}()
	a, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		l.Close() // ends the Accept
		<-ch
		return nil, nil, err
	}
	r := <-ch
	if r.err != nil {
		a.Close()
		return nil, nil, r.err
	}
	return a, r.c, nil
}
