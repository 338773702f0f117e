package main

import (
	"context"
	"errors"
	"net"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/apipb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"storj.io/drpc"
	"storj.io/drpc/drpcconn"
	"storj.io/drpc/drpcmanager"
	"storj.io/drpc/drpcmux"
	"storj.io/drpc/drpcserver"
	"storj.io/drpc/drpcwire"
)

// The drpc system (storj.io/drpc): a drpcserver serving a drpcmux on
// loopback TCP, and drpcconn client connections over net.Dial. The service
// is written by hand the way protoc-gen-go-drpc writes it (a server
// interface, a drpc.Description, an Encoding with google.golang.org/protobuf),
// with the gRPC system's messages: Concat takes an apipb.Mixin (Name, Root)
// and answers a StringValue, Echo a BytesValue.
//
// A drpcconn.Conn carries one RPC at a time (drpc does not multiplex): its
// manager holds a semaphore of one, and concurrent Invokes on the same Conn
// wait for it in turn. drpc's answer to concurrent RPCs is more connections
// (drpcpool, which dials a connection for each concurrent caller); the
// shapes "over one connection" measure the one Conn as a user sharing it
// gets it, every caller waiting its turn, and the shapes "a connection
// each" give every caller a Conn of its own.
const (
	drpcConcat = "/ipfibench.Bench/Concat"
	drpcEcho   = "/ipfibench.Bench/Echo"
)

// drpcMaxMsg raises drpc's limit on a packet's buffered data (4 MiB by
// default, on both ends' readers) above the sweep's largest echo (4 MiB and
// its protobuf framing); the limit costs nothing below it.
const drpcMaxMsg = 16 << 20

// drpcManagerOptions are every connection's, client and server side: the
// raised limit.
var drpcManagerOptions = drpcmanager.Options{Reader: drpcwire.ReaderOptions{MaximumBufferSize: drpcMaxMsg}}

// drpcBenchServer is the service, as the generated server interface is.
type drpcBenchServer interface {
	Concat(context.Context, *apipb.Mixin) (*wrapperspb.StringValue, error)
	Echo(context.Context, *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error)
}

// drpcService implements drpcBenchServer (it has no state).
type drpcService struct{}

func (drpcService) Concat(_ context.Context, in *apipb.Mixin) (*wrapperspb.StringValue, error) {
	return wrapperspb.String(in.GetName() + " " + in.GetRoot()), nil
}

func (drpcService) Echo(_ context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	return wrapperspb.Bytes(in.GetValue()), nil
}

// drpcProto is the service's drpc.Encoding: protobuf, as generated code's.
type drpcProto struct{}

func (drpcProto) Marshal(msg drpc.Message) ([]byte, error) {
	return proto.Marshal(msg.(proto.Message))
}

func (drpcProto) MarshalAppend(buf []byte, msg drpc.Message) ([]byte, error) {
	return proto.MarshalOptions{}.MarshalAppend(buf, msg.(proto.Message))
}

func (drpcProto) Unmarshal(buf []byte, msg drpc.Message) error {
	return proto.Unmarshal(buf, msg.(proto.Message))
}

// drpcBenchDesc is the service's drpc.Description: each method's name,
// encoding, receiver and method expression (drpcmux reads the input type
// from the latter).
type drpcBenchDesc struct{}

func (drpcBenchDesc) NumMethods() int { return 2 }

func (drpcBenchDesc) Method(n int) (string, drpc.Encoding, drpc.Receiver, any, bool) {
	switch n {
	case 0:
		return drpcConcat, drpcProto{}, func(srv any, ctx context.Context, in1, _ any) (drpc.Message, error) {
			return srv.(drpcBenchServer).Concat(ctx, in1.(*apipb.Mixin))
		}, drpcBenchServer.Concat, true
	case 1:
		return drpcEcho, drpcProto{}, func(srv any, ctx context.Context, in1, _ any) (drpc.Message, error) {
			return srv.(drpcBenchServer).Echo(ctx, in1.(*wrapperspb.BytesValue))
		}, drpcBenchServer.Echo, true
	}
	return "", nil, nil, nil, false
}

// drpcSystem is a drpc server and one client connection.
type drpcSystem struct {
	addr   string
	stop   context.CancelFunc // ends Serve
	served chan error
	conn   *drpcconn.Conn
	conns  callerPools[*drpcconn.Conn] // the shapes with a connection per caller
}

func startDRPC(ctx context.Context, _ *env) (system, error) {
	mux := drpcmux.New()
	if err := mux.Register(drpcService{}, drpcBenchDesc{}); err != nil {
		return nil, err
	}
	srv := drpcserver.NewWithOptions(mux, drpcserver.Options{Manager: drpcManagerOptions})
	l, err := listen()
	if err != nil {
		return nil, err
	}
	sctx, stop := context.WithCancel(context.Background())
	s := &drpcSystem{addr: l.Addr().String(), stop: stop, served: make(chan error, 1), conns: callerPools[*drpcconn.Conn]{}}
	go func() { s.served <- srv.Serve(sctx, l) }()
	if s.conn, err = s.dial(ctx); err != nil {
		stop()
		return nil, errors.Join(err, <-s.served)
	}
	return s, nil
}

// dial opens a client connection to the server.
func (s *drpcSystem) dial(ctx context.Context) (*drpcconn.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	return drpcconn.NewWithOptions(c, drpcconn.Options{Manager: drpcManagerOptions}), nil
}

func (s *drpcSystem) op(scenario string) func(context.Context) error {
	if scenario == connectCall {
		return s.connectCall
	}
	sh, ok := shapeOf(scenario)
	if !ok {
		return nil
	}
	call := concatDRPC
	if sh.size > 0 {
		payload := wrapperspb.Bytes(makeEcho(sh.size))
		call = func(ctx context.Context, c *drpcconn.Conn) error { return echoDRPC(ctx, c, payload) }
	}
	dial := func() (*drpcconn.Conn, error) { return s.dial(context.Background()) }
	return shapeOp(sh, s.conn, s.conns, dial, (*drpcconn.Conn).Close, call)
}

func concatDRPC(ctx context.Context, c *drpcconn.Conn) error {
	out := new(wrapperspb.StringValue)
	if err := c.Invoke(ctx, drpcConcat, drpcProto{}, &apipb.Mixin{Name: firstName, Root: lastName}, out); err != nil {
		return err
	}
	return checkName(out.GetValue())
}

func echoDRPC(ctx context.Context, c *drpcconn.Conn, payload *wrapperspb.BytesValue) error {
	out := new(wrapperspb.BytesValue)
	if err := c.Invoke(ctx, drpcEcho, drpcProto{}, payload, out); err != nil {
		return err
	}
	return checkEcho(out.GetValue(), payload.GetValue())
}

func (s *drpcSystem) connectCall(ctx context.Context) error {
	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	return errors.Join(concatDRPC(ctx, c), c.Close())
}

func (s *drpcSystem) close() error {
	err := errors.Join(s.conns.close((*drpcconn.Conn).Close), s.conn.Close())
	s.stop()
	return errors.Join(err, <-s.served)
}
