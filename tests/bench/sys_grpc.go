package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/apipb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The gRPC service is written by hand the way protoc-gen-go-grpc writes it,
// with well-known protobuf types as messages (no protoc needed): Concat takes
// an apipb.Mixin (a generated message of two strings, Name and Root) and
// answers a StringValue; Echo a BytesValue; Count a UInt64Value n and streams
// n UInt64Values; Bytes a UInt64Value, a count in its high 32 bits and a
// size in its low ones, and streams count BytesValues of size bytes.
const (
	grpcConcat = "/ipfibench.Bench/Concat"
	grpcEcho   = "/ipfibench.Bench/Echo"
	grpcCount  = "/ipfibench.Bench/Count"
	grpcBytes  = "/ipfibench.Bench/Bytes"
)

// grpcMaxMsg raises gRPC's message size limits (4 MiB by default) above
// the sweep's largest echo (4 MiB and its framing); the limits cost nothing
// below them.
const grpcMaxMsg = 16 << 20

// grpcDialOptions are every client connection's: insecure, and the raised
// message limits.
var grpcDialOptions = []grpc.DialOption{
	grpc.WithTransportCredentials(insecure.NewCredentials()),
	grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(grpcMaxMsg), grpc.MaxCallSendMsgSize(grpcMaxMsg)),
}

// grpcService is the service's implementation (it has no state).
type grpcService struct{}

var grpcDesc = grpc.ServiceDesc{
	ServiceName: "ipfibench.Bench",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Concat", Handler: unaryHandler(grpcConcat, func(in *apipb.Mixin) *wrapperspb.StringValue {
			return wrapperspb.String(in.GetName() + " " + in.GetRoot())
		})},
		{MethodName: "Echo", Handler: unaryHandler(grpcEcho, func(in *wrapperspb.BytesValue) *wrapperspb.BytesValue {
			return wrapperspb.Bytes(in.GetValue())
		})},
	},
	Streams: []grpc.StreamDesc{
		{StreamName: "Count", ServerStreams: true, Handler: countHandler},
		{StreamName: "Bytes", ServerStreams: true, Handler: bytesHandler},
	},
}

// unaryHandler is the handler generated code has for a unary method.
func unaryHandler[In, Out any, PIn interface{ *In }](method string, fn func(PIn) *Out) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		in := PIn(new(In))
		if err := dec(in); err != nil {
			return nil, err
		}
		if interceptor == nil {
			return fn(in), nil
		}
		info := &grpc.UnaryServerInfo{Server: srv, FullMethod: method}
		return interceptor(ctx, in, info, func(_ context.Context, req any) (any, error) { return fn(req.(PIn)), nil })
	}
}

func countHandler(_ any, stream grpc.ServerStream) error {
	in := new(wrapperspb.UInt64Value)
	if err := stream.RecvMsg(in); err != nil {
		return err
	}
	for i := range in.GetValue() {
		if err := stream.SendMsg(wrapperspb.UInt64(i)); err != nil {
			return err
		}
	}
	return nil
}

func bytesHandler(_ any, stream grpc.ServerStream) error {
	in := new(wrapperspb.UInt64Value)
	if err := stream.RecvMsg(in); err != nil {
		return err
	}
	n, size := in.GetValue()>>32, in.GetValue()&(1<<32-1)
	payload := wrapperspb.Bytes(makeEcho(int(size)))
	for range n {
		if err := stream.SendMsg(payload); err != nil {
			return err
		}
	}
	return nil
}

// grpcSystem is a gRPC server and one client connection, default settings
// and insecure credentials.
type grpcSystem struct {
	e      *env
	srv    *grpc.Server
	served chan error
	addr   string
	cc     *grpc.ClientConn
	conns  callerPools[*grpc.ClientConn] // the shapes with a connection per caller
}

func startGRPC(_ context.Context, e *env) (system, error) {
	l, err := listen()
	if err != nil {
		return nil, err
	}
	s := &grpcSystem{e: e, srv: grpc.NewServer(grpc.MaxRecvMsgSize(grpcMaxMsg), grpc.MaxSendMsgSize(grpcMaxMsg)), served: make(chan error, 1), addr: l.Addr().String(), conns: callerPools[*grpc.ClientConn]{}}
	s.srv.RegisterService(&grpcDesc, grpcService{})
	go func() { s.served <- s.srv.Serve(l) }()
	if s.cc, err = grpc.NewClient(s.addr, grpcDialOptions...); err != nil {
		s.srv.Stop()
		<-s.served
		return nil, err
	}
	return s, nil
}

func (s *grpcSystem) op(scenario string) func(context.Context) error {
	if sh, ok := shapeOf(scenario); ok {
		return s.unary(sh)
	}
	if st, ok := streamShapeOf(scenario); ok {
		return s.bytesStream(st)
	}
	switch scenario {
	case stream100K:
		return s.count
	case connectCall:
		return s.connectCall
	}
	return nil
}

// unary returns the operation of a unary shape: the small call or an echo,
// over the system's client connection or over one per caller.
func (s *grpcSystem) unary(sh shape) func(context.Context) error {
	call := concatGRPC
	if sh.size > 0 {
		payload := wrapperspb.Bytes(makeEcho(sh.size))
		call = func(ctx context.Context, cc *grpc.ClientConn) error { return echoGRPC(ctx, cc, payload) }
	}
	dial := func() (*grpc.ClientConn, error) { return grpc.NewClient(s.addr, grpcDialOptions...) }
	return shapeOp(sh, s.cc, s.conns, dial, (*grpc.ClientConn).Close, call)
}

func concatGRPC(ctx context.Context, cc *grpc.ClientConn) error {
	out := new(wrapperspb.StringValue)
	if err := cc.Invoke(ctx, grpcConcat, &apipb.Mixin{Name: firstName, Root: lastName}, out); err != nil {
		return err
	}
	return checkName(out.GetValue())
}

func echoGRPC(ctx context.Context, cc *grpc.ClientConn, payload *wrapperspb.BytesValue) error {
	out := new(wrapperspb.BytesValue)
	if err := cc.Invoke(ctx, grpcEcho, payload, out); err != nil {
		return err
	}
	return checkEcho(out.GetValue(), payload.GetValue())
}

func (s *grpcSystem) count(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream on an early return
	st, err := s.cc.NewStream(ctx, &grpcDesc.Streams[0], grpcCount)
	if err != nil {
		return err
	}
	if err := st.SendMsg(wrapperspb.UInt64(uint64(s.e.streamLen))); err != nil {
		return err
	}
	if err := st.CloseSend(); err != nil {
		return err
	}
	for i := 0; i <= s.e.streamLen; i++ {
		m := new(wrapperspb.UInt64Value) // as generated Recv does
		err := st.RecvMsg(m)
		if err == io.EOF {
			if i != s.e.streamLen {
				return fmt.Errorf("bench: grpc stream ended after %d values, want %d", i, s.e.streamLen)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if m.GetValue() != uint64(i) {
			return fmt.Errorf("bench: grpc stream value %d is %d", i, m.GetValue())
		}
	}
	return fmt.Errorf("bench: grpc stream did not end after %d values", s.e.streamLen)
}

// bytesStream returns the operation of a stream of byte strings, read as
// generated code's typed Recv reads (a new message per value).
func (s *grpcSystem) bytesStream(st streamShape) func(context.Context) error {
	req := wrapperspb.UInt64(uint64(st.count)<<32 | uint64(st.size))
	want := makeEcho(st.size)
	return func(ctx context.Context) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // ends the stream on an early return
		cs, err := s.cc.NewStream(ctx, &grpcDesc.Streams[1], grpcBytes)
		if err != nil {
			return err
		}
		if err := cs.SendMsg(req); err != nil {
			return err
		}
		if err := cs.CloseSend(); err != nil {
			return err
		}
		for i := 0; ; i++ {
			m := new(wrapperspb.BytesValue)
			err := cs.RecvMsg(m)
			if err == io.EOF {
				return st.checkCount("grpc", i)
			}
			if err != nil {
				return err
			}
			if i == st.count {
				return fmt.Errorf("bench: grpc stream did not end after %d values", st.count)
			}
			if err := checkEcho(m.GetValue(), want); err != nil {
				return fmt.Errorf("value %d: %w", i, err)
			}
		}
	}
}

func (s *grpcSystem) connectCall(ctx context.Context) error {
	cc, err := grpc.NewClient(s.addr, grpcDialOptions...)
	if err != nil {
		return err
	}
	return errors.Join(concatGRPC(ctx, cc), cc.Close())
}

func (s *grpcSystem) close() error {
	err := errors.Join(s.conns.close((*grpc.ClientConn).Close), s.cc.Close())
	s.srv.Stop()
	// Serve returns ErrServerStopped when Stop came first (a system closed
	// before its Serve goroutine ran): that is a clean end too.
	if serr := <-s.served; !errors.Is(serr, grpc.ErrServerStopped) {
		err = errors.Join(err, serr)
	}
	return err
}
