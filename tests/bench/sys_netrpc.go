package main

import (
	"context"
	"errors"
	"net"
	"net/rpc"
)

// Names is the net/rpc argument of the small call.
type Names struct{ First, Last string }

// netrpcService is the net/rpc service, registered as "Bench".
type netrpcService struct{}

// Concat answers "First Last".
func (netrpcService) Concat(args *Names, reply *string) error {
	*reply = args.First + " " + args.Last
	return nil
}

// Echo answers its argument.
func (netrpcService) Echo(args []byte, reply *[]byte) error {
	*reply = args
	return nil
}

// netrpcSystem is a net/rpc server (gob over TCP) and one client.
type netrpcSystem struct {
	srv   *tcpServer
	cli   *rpc.Client
	conns callerPools[*rpc.Client] // the shapes with a connection per caller
}

func startNetRPC(ctx context.Context, _ *env) (system, error) {
	rs := rpc.NewServer()
	if err := rs.RegisterName("Bench", netrpcService{}); err != nil {
		return nil, err
	}
	srv, err := serveTCP(func(c net.Conn) { rs.ServeConn(c) })
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", srv.addr())
	if err != nil {
		srv.close()
		return nil, err
	}
	return &netrpcSystem{srv: srv, cli: rpc.NewClient(c), conns: callerPools[*rpc.Client]{}}, nil
}

// op answers the unary shapes and connect_call; net/rpc has no streams.
func (s *netrpcSystem) op(scenario string) func(context.Context) error {
	if sh, ok := shapeOf(scenario); ok {
		return s.unary(sh)
	}
	if scenario == connectCall {
		return s.connectCall
	}
	return nil
}

// unary returns the operation of a unary shape: the small call or an echo,
// over the system's client or over a client (a connection) per caller.
func (s *netrpcSystem) unary(sh shape) func(context.Context) error {
	call := func(_ context.Context, cli *rpc.Client) error { return concatRPC(cli) }
	if sh.size > 0 {
		payload := makeEcho(sh.size)
		call = func(_ context.Context, cli *rpc.Client) error { return echoRPC(cli, payload) }
	}
	dial := func() (*rpc.Client, error) { return rpc.Dial("tcp", s.srv.addr()) }
	return shapeOp(sh, s.cli, s.conns, dial, (*rpc.Client).Close, call)
}

func concatRPC(cli *rpc.Client) error {
	var got string
	if err := cli.Call("Bench.Concat", &Names{First: firstName, Last: lastName}, &got); err != nil {
		return err
	}
	return checkName(got)
}

func echoRPC(cli *rpc.Client, payload []byte) error {
	var got []byte
	if err := cli.Call("Bench.Echo", payload, &got); err != nil {
		return err
	}
	return checkEcho(got, payload)
}

func (s *netrpcSystem) connectCall(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.srv.addr())
	if err != nil {
		return err
	}
	cli := rpc.NewClient(c)
	return errors.Join(concatRPC(cli), cli.Close())
}

func (s *netrpcSystem) close() error {
	return errors.Join(s.conns.close((*rpc.Client).Close), s.cli.Close(), s.srv.close())
}
