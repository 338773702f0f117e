package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiquic"
	"github.com/ipfi-go/ipfi/ipfitest"
)

// netSystem is ipfi over a transport with TLS, for the networks' figures:
// "ipfi_tls" (TCP with TLS: Dial and Serve with WithTLS) and "ipfi_quic"
// (QUIC, package ipfiquic). It answers unary_small, c64_one_conn,
// c64_conns and connect_call: over QUIC, c64_conns gives each caller a
// wire (a stream) of its own on the one QUIC connection, and connect_call
// is a QUIC handshake, a stream, a call and a close. Only when -systems
// names them: they are not in the default runs.
type netSystem struct {
	srv, cli  *ipfi.Interface
	w         *ipfi.Wire                                                  // the shared wire
	dial      func(ctx context.Context) (*ipfi.Wire, error)               // a wire for a caller of its own
	connect   func(ctx context.Context) (*ipfi.Wire, func() error, error) // a new connection and a wire on it
	stop      func() error                                                // stops serving and closes what connect shares
	conns     callerPools[*ipfi.Wire]
	serveDone chan error
}

// newNetSystem returns a system's server and client interfaces, not yet
// connected, and a server's and a client's TLS configs for 127.0.0.1
// made for the run.
func newNetSystem() (s *netSystem, server, client *tls.Config, err error) {
	ca, err := ipfitest.NewCA()
	if err != nil {
		return nil, nil, nil, err
	}
	if server, client, err = ca.Loopback(); err != nil {
		return nil, nil, nil, err
	}
	srv, err := newIPFIServer(true)
	if err != nil {
		return nil, nil, nil, err
	}
	cli, err := ipfi.New()
	if err != nil {
		srv.Close()
		return nil, nil, nil, err
	}
	return &netSystem{srv: srv, cli: cli, conns: callerPools[*ipfi.Wire]{}, serveDone: make(chan error, 1)}, server, client, nil
}

// abort closes the interfaces of a system that failed to start, with its
// error.
func (s *netSystem) abort(err error) error {
	s.cli.Close()
	s.srv.Close()
	return err
}

func startIPFITLS(ctx context.Context, _ *env) (system, error) {
	s, server, client, err := newNetSystem()
	if err != nil {
		return nil, err
	}
	l, err := listen()
	if err != nil {
		return nil, s.abort(err)
	}
	addr := l.Addr().String()
	go func() { s.serveDone <- s.srv.Serve(context.Background(), l, ipfi.WithTLS(server)) }()
	s.dial = func(ctx context.Context) (*ipfi.Wire, error) {
		return s.cli.Dial(ctx, "tcp", addr, ipfi.WithTLS(client))
	}
	s.connect = func(ctx context.Context) (*ipfi.Wire, func() error, error) {
		w, err := s.dial(ctx)
		if err != nil {
			return nil, nil, err
		}
		return w, w.Close, nil
	}
	s.stop = func() error { return nil }
	return s.up(ctx)
}

func startIPFIQUIC(ctx context.Context, _ *env) (system, error) {
	s, server, client, err := newNetSystem()
	if err != nil {
		return nil, err
	}
	l, err := ipfiquic.Listen(s.srv, "127.0.0.1:0", server, nil)
	if err != nil {
		return nil, s.abort(err)
	}
	addr := l.Addr().String()
	go func() { s.serveDone <- ipfiquic.Serve(context.Background(), s.srv, l) }()
	conn, err := ipfiquic.Dial(ctx, s.cli, addr, client, nil)
	if err != nil {
		err = s.abort(err)
		<-s.serveDone
		return nil, err
	}
	s.dial = conn.Open
	s.connect = func(ctx context.Context) (*ipfi.Wire, func() error, error) {
		c, err := ipfiquic.Dial(ctx, s.cli, addr, client, nil)
		if err != nil {
			return nil, nil, err
		}
		w, err := c.Open(ctx)
		if err != nil {
			return nil, nil, errors.Join(err, c.Close())
		}
		return w, func() error { return errors.Join(w.Close(), c.Close()) }, nil
	}
	s.stop = conn.Close
	return s.up(ctx)
}

// up dials the shared wire.
func (s *netSystem) up(ctx context.Context) (system, error) {
	var err error
	if s.w, err = s.dial(ctx); err != nil {
		return nil, errors.Join(err, s.close())
	}
	return s, nil
}

func (s *netSystem) op(scenario string) func(context.Context) error {
	switch scenario {
	case unarySmall, c64OneConn, c64Conns:
		sh, _ := shapeOf(scenario)
		dial := func() (*ipfi.Wire, error) { return s.dial(context.Background()) }
		return shapeOp(sh, s.w, s.conns, dial, (*ipfi.Wire).Close, concatCall)
	case connectCall:
		return s.connectCall
	}
	return nil
}

func (s *netSystem) connectCall(ctx context.Context) error {
	w, closeIt, err := s.connect(ctx)
	if err != nil {
		return err
	}
	return errors.Join(concatCall(ctx, w), closeIt())
}

func (s *netSystem) close() error {
	err := errors.Join(s.conns.close((*ipfi.Wire).Close), s.stop(), s.cli.Close(), s.srv.Close())
	if serr := <-s.serveDone; serr != nil && !errors.Is(serr, ipfi.ErrClosed) && !errors.Is(serr, net.ErrClosed) {
		err = errors.Join(err, fmt.Errorf("ipfi serve: %w", serr))
	}
	return err
}
