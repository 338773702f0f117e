package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// The procedures the ipfi server offers.
const (
	procConcat procedures.Index = 1 // (a, b string) -> a + " " + b
	procEcho   procedures.Index = 2 // ([]byte) -> the same bytes
	procCount  procedures.Index = 3 // (n int) -> a sequence 0..n-1
	procBytes  procedures.Index = 4 // (n, size int) -> a sequence of n byte strings of size bytes
)

// newIPFIServer returns an interface serving the benchmark's procedures.
// With quick, the two unary procedures, which neither block nor call back,
// are registered with procedures.Quick, as their documentation advises for
// such procedures: they run on the wire's reader. Without, they run on
// goroutines of their own, the default.
func newIPFIServer(quick bool) (*ipfi.Interface, error) {
	srv, err := ipfi.New(ipfi.WithLimits(ipfi.Limits{MaxOpenCalls: 1 << 20, MaxCalls: 1 << 20}))
	if err != nil {
		return nil, err
	}
	mark := func(p procedures.Procedure) procedures.Procedure {
		if quick {
			return procedures.Quick(p)
		}
		return p
	}
	err = errors.Join(
		srv.Register(procConcat, mark(procedures.Func2(func(_ context.Context, a, b string) (string, error) {
			return a + " " + b, nil
		}))),
		srv.Register(procEcho, mark(procedures.Func1(func(_ context.Context, b []byte) ([]byte, error) {
			return b, nil
		}))),
		srv.Register(procCount, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
			for i := range n {
				if err := yield(i); err != nil {
					return err
				}
			}
			return nil
		})),
		srv.Register(procBytes, procedures.Sequence2(func(_ context.Context, n, size int, yield func([]byte) error) error {
			payload := makeEcho(size)
			for range n {
				if err := yield(payload); err != nil {
					return err
				}
			}
			return nil
		})),
	)
	if err != nil {
		srv.Close()
		return nil, err
	}
	return srv, nil
}

// ipfiSystem is an ipfi server (Serve on a listener) and a client wire.
type ipfiSystem struct {
	e         *env
	quick     bool // the unary procedures are Quick (system "ipfi"; "ipfi_goroutine" without)
	recvAny   bool // system "ipfi_recv": the stream only, read with Stream.Recv(&v)
	srv, cli  *ipfi.Interface
	w         *ipfi.Wire
	addr      string
	serveDone chan error
	conns     callerPools[*ipfi.Wire] // the shapes with a connection per caller
}

func startIPFI(ctx context.Context, e *env) (system, error) { return startIPFIWith(ctx, e, true) }

func startIPFIGoroutine(ctx context.Context, e *env) (system, error) {
	return startIPFIWith(ctx, e, false)
}

// startIPFIRecv starts the system that reads the stream with Stream.Recv
// into an any (one allocation per value: the target escapes), beside
// "ipfi", which reads it with the typed iterator ipfi.Values.
func startIPFIRecv(ctx context.Context, e *env) (system, error) {
	s, err := startIPFIWith(ctx, e, true)
	if err == nil {
		s.(*ipfiSystem).recvAny = true
	}
	return s, err
}

func startIPFIWith(ctx context.Context, e *env, quick bool) (system, error) {
	srv, err := newIPFIServer(quick)
	if err != nil {
		return nil, err
	}
	cli, err := ipfi.New()
	if err != nil {
		srv.Close()
		return nil, err
	}
	l, err := listen()
	if err != nil {
		cli.Close()
		srv.Close()
		return nil, err
	}
	s := &ipfiSystem{e: e, quick: quick, srv: srv, cli: cli, addr: l.Addr().String(), serveDone: make(chan error, 1), conns: callerPools[*ipfi.Wire]{}}
	go func() { s.serveDone <- srv.Serve(context.Background(), l) }()
	if s.w, err = s.cli.Dial(ctx, "tcp", s.addr); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *ipfiSystem) op(scenario string) func(context.Context) error {
	if s.recvAny {
		if scenario == stream100K {
			return s.countRecv
		}
		return nil // shown beside the stream figures only
	}
	if sh, ok := shapeOf(scenario); ok {
		return s.unary(sh)
	}
	if st, ok := streamShapeOf(scenario); ok {
		return s.bytesStream(st)
	}
	switch scenario {
	case connectCall:
		return s.connectCall
	case stream100K:
		return s.count
	}
	return nil
}

// unary returns the operation of a unary shape: the small call or an echo,
// over the system's wire or over a wire per caller.
func (s *ipfiSystem) unary(sh shape) func(context.Context) error {
	call := concatCall
	if sh.size > 0 {
		payload := makeEcho(sh.size)
		call = func(ctx context.Context, w *ipfi.Wire) error { return s.echoCall(ctx, w, payload) }
	}
	dial := func() (*ipfi.Wire, error) { return s.cli.Dial(context.Background(), "tcp", s.addr) }
	return shapeOp(sh, s.w, s.conns, dial, (*ipfi.Wire).Close, call)
}

// bytesStream returns the operation of a stream of byte strings: it reads
// them with the typed iterator, as count does.
func (s *ipfiSystem) bytesStream(sh streamShape) func(context.Context) error {
	want := makeEcho(sh.size)
	return func(ctx context.Context) error {
		st, err := s.w.Stream(ctx, procBytes, []any{sh.count, sh.size})
		if err != nil {
			return err
		}
		i := 0
		for v, err := range ipfi.Values[[]byte](st) {
			if err != nil {
				return err
			}
			if err := checkEcho(v, want); err != nil {
				return fmt.Errorf("value %d: %w", i, err)
			}
			i++
		}
		return sh.checkCount("ipfi", i)
	}
}

// count reads a stream of s.e.streamLen values with the typed iterator
// (ipfi.Values: one decoding target for the whole stream), as the gRPC
// client reads its stream with the generated code's typed Recv.
func (s *ipfiSystem) count(ctx context.Context) error {
	st, err := s.w.Stream(ctx, procCount, []any{s.e.streamLen})
	if err != nil {
		return err
	}
	i := 0
	for v, err := range ipfi.Values[int](st) {
		if err != nil {
			return err
		}
		if v != i {
			return fmt.Errorf("bench: ipfi stream value %d is %d", i, v)
		}
		i++
	}
	if i != s.e.streamLen {
		return fmt.Errorf("bench: ipfi stream ended after %d values, want %d", i, s.e.streamLen)
	}
	return nil
}

// countRecv reads the stream with Stream.Recv into an int declared per
// value, whose address escapes through Recv's any: one allocation per
// value.
func (s *ipfiSystem) countRecv(ctx context.Context) error {
	st, err := s.w.Stream(ctx, procCount, []any{s.e.streamLen})
	if err != nil {
		return err
	}
	defer st.Close()
	for i := 0; i <= s.e.streamLen; i++ {
		var v int
		err := st.Recv(&v)
		if err == io.EOF {
			if i != s.e.streamLen {
				return fmt.Errorf("bench: ipfi stream ended after %d values, want %d", i, s.e.streamLen)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if v != i {
			return fmt.Errorf("bench: ipfi stream value %d is %d", i, v)
		}
	}
	return fmt.Errorf("bench: ipfi stream did not end after %d values", s.e.streamLen)
}

// concatCall makes the small call on w and checks its answer: every ipfi
// system's unary_small.
func concatCall(ctx context.Context, w *ipfi.Wire) error {
	got, err := ipfi.Call[string](ctx, w, procConcat, firstName, lastName)
	if err != nil {
		return err
	}
	return checkName(got)
}

func (s *ipfiSystem) echoCall(ctx context.Context, w *ipfi.Wire, payload []byte) error {
	got, err := ipfi.Call[[]byte](ctx, w, procEcho, payload)
	if err != nil {
		return err
	}
	return checkEcho(got, payload)
}

func (s *ipfiSystem) connectCall(ctx context.Context) error {
	w, err := s.cli.Dial(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	err = concatCall(ctx, w)
	return errors.Join(err, w.Close())
}

func (s *ipfiSystem) close() error {
	err := errors.Join(s.conns.close((*ipfi.Wire).Close), s.cli.Close(), s.srv.Close())
	if serr := <-s.serveDone; serr != nil && !errors.Is(serr, ipfi.ErrClosed) {
		err = errors.Join(err, fmt.Errorf("ipfi serve: %w", serr))
	}
	return err
}
