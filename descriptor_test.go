package ipfi_test

import (
	"context"
	"errors"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
)

// The descriptors of the tests below, as a package both programs import
// would declare them.
var (
	descHello  = ipfi.Proc2[string, string, string]{Index: 1}
	descAnswer = ipfi.Proc0[int]{Index: 2}
	descCount  = ipfi.SeqProc1[int, int]{Index: 3}
	descUpper  = ipfi.BidiProc[string, string]{Index: 4}
	descSum6   = ipfi.Proc6[int, int, int, int, int, int, int]{Index: 5}
)

// servedPair returns a server with the descriptors' procedures registered
// through them, and a client's wire to it; both end with the test.
func servedPair(t *testing.T) (server *ipfi.Interface, w *ipfi.Wire) {
	t.Helper()
	server, client := newInterface(t), newInterface(t)
	t.Cleanup(func() { client.Close(); server.Close() })
	must(t, descHello.Register(server, func(_ context.Context, first, last string) (string, error) {
		return "Hello, " + first + " " + last + "!", nil
	}))
	must(t, server.Register(descAnswer.Index, procedures.Quick(descAnswer.Procedure(func(context.Context) (int, error) {
		return 42, nil
	}))))
	must(t, descCount.Register(server, func(_ context.Context, n int, yield func(int) error) error {
		for i := range n {
			if err := yield(i); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, descUpper.Register(server, func(_ context.Context, in iter.Seq2[string, error], yield func(string) error) error {
		for s, err := range in {
			if err != nil {
				return err
			}
			if err := yield(strings.ToUpper(s)); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, descSum6.Register(server, func(_ context.Context, a, b, c, d, e, f int) (int, error) {
		return a + b + c + d + e + f, nil
	}))
	_, w, err := ipfitest.Pipe(server, client)
	must(t, err)
	return server, w
}

// TestDescriptorsRegisterAndCall: a procedure registered through a
// descriptor is called through the same descriptor, for every kind.
func TestDescriptorsRegisterAndCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, w := servedPair(t)

	if got, err := descHello.Call(ctx, w, "John", "Doe"); err != nil || got != "Hello, John Doe!" {
		t.Errorf("Hello: %q, %v", got, err)
	}
	if got, err := descAnswer.Call(ctx, w); err != nil || got != 42 {
		t.Errorf("Answer: %d, %v", got, err)
	}
	if got, err := descSum6.Call(ctx, w, 1, 2, 3, 4, 5, 6); err != nil || got != 21 {
		t.Errorf("Sum6: %d, %v", got, err)
	}
	if got, err := descCount.Collect(ctx, w, 4); err != nil || !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("Count.Collect: %v, %v", got, err)
	}
	var seen []int
	for v, err := range descCount.Iter(ctx, w, 3) {
		if err != nil {
			t.Fatalf("Count.Iter: %v", err)
		}
		seen = append(seen, v)
	}
	if !slices.Equal(seen, []int{0, 1, 2}) {
		t.Errorf("Count.Iter: %v", seen)
	}

	s, err := descUpper.Open(ctx, w)
	must(t, err)
	defer s.Close()
	for _, in := range []string{"hello", "world"} {
		must(t, s.Send(in))
		got, err := s.Recv()
		if err != nil || got != strings.ToUpper(in) {
			t.Fatalf("Upper(%q): %q, %v", in, got, err)
		}
	}
	must(t, s.CloseSend())
	if _, err := s.Recv(); err != io.EOF {
		t.Errorf("Upper after CloseSend: %v, want io.EOF", err)
	}
}

// TestDescriptorsOnANilCaller: a descriptor given no caller (a nil
// interface, or the nil *Wire WireFrom returns outside a procedure) fails
// with ErrNoWire and does not panic.
func TestDescriptorsOnANilCaller(t *testing.T) {
	ctx := context.Background()
	var noWire *ipfi.Wire
	for _, c := range []ipfi.Caller{nil, noWire} {
		if _, err := descHello.Call(ctx, c, "a", "b"); !errors.Is(err, ipfi.ErrNoWire) {
			t.Errorf("Call on %#v: %v, want ErrNoWire", c, err)
		}
		if _, err := descCount.Collect(ctx, c, 1); !errors.Is(err, ipfi.ErrNoWire) {
			t.Errorf("Collect on %#v: %v, want ErrNoWire", c, err)
		}
		if _, err := descUpper.Open(ctx, c); !errors.Is(err, ipfi.ErrNoWire) {
			t.Errorf("Open on %#v: %v, want ErrNoWire", c, err)
		}
		if _, err := ipfi.Call[int](ctx, c, 1); !errors.Is(err, ipfi.ErrNoWire) {
			t.Errorf("ipfi.Call on %#v: %v, want ErrNoWire", c, err)
		}
	}
}

// countingCaller is a Caller of the program's own that routes to a wire
// and counts what goes through it.
type countingCaller struct {
	w          *ipfi.Wire
	calls      int
	idempotent int // calls whose context was marked idempotent
}

func (c *countingCaller) Call(ctx context.Context, proc procedures.Index, reply any, args ...any) error {
	c.calls++
	if ipfi.IsIdempotent(ctx) {
		c.idempotent++
	}
	return c.w.Call(ctx, proc, reply, args...)
}

func (c *countingCaller) Stream(ctx context.Context, proc procedures.Index, args []any, opts ...ipfi.Option) (*ipfi.Stream, error) {
	c.calls++
	return c.w.Stream(ctx, proc, args, opts...)
}

func (c *countingCaller) Open(ctx context.Context, proc procedures.Index, opts ...ipfi.Option) (*ipfi.Stream, error) {
	c.calls++
	return c.w.Open(ctx, proc, opts...)
}

// TestDescriptorsThroughACallerOfTheProgramsOwn: descriptors, Call, Iter
// and Collect go through any Caller, not only a *Wire.
func TestDescriptorsThroughACallerOfTheProgramsOwn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, w := servedPair(t)
	c := &countingCaller{w: w}

	if got, err := descHello.Call(ctx, c, "A", "B"); err != nil || got != "Hello, A B!" {
		t.Errorf("Hello: %q, %v", got, err)
	}
	if got, err := descCount.Collect(ctx, c, 2); err != nil || !slices.Equal(got, []int{0, 1}) {
		t.Errorf("Count: %v, %v", got, err)
	}
	s, err := descUpper.Open(ctx, c)
	must(t, err)
	must(t, s.CloseSend())
	if _, err := s.Recv(); err != io.EOF {
		t.Errorf("Upper: %v, want io.EOF", err)
	}
	if got, err := ipfi.Call[int](ctx, c, descAnswer.Index); err != nil || got != 42 {
		t.Errorf("ipfi.Call: %d, %v", got, err)
	}
	if c.calls != 4 {
		t.Errorf("the caller saw %d calls, want 4", c.calls)
	}
}

// TestIdempotentMark: a descriptor with Idempotent set marks its calls'
// contexts (IsIdempotent), one without does not, and WithIdempotent marks
// any call.
func TestIdempotentMark(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, w := servedPair(t)
	c := &countingCaller{w: w}
	safe := descHello
	safe.Idempotent = true
	for _, call := range []func() error{
		func() error { _, err := descHello.Call(ctx, c, "A", "B"); return err },
		func() error { _, err := safe.Call(ctx, c, "A", "B"); return err },
		func() error { _, err := ipfi.Call[int](ipfi.WithIdempotent(ctx), c, descAnswer.Index); return err },
	} {
		must(t, call())
	}
	if c.calls != 3 || c.idempotent != 2 {
		t.Fatalf("%d calls, %d marked idempotent; want 3 and 2", c.calls, c.idempotent)
	}
	if ipfi.IsIdempotent(ctx) {
		t.Fatal("a context never marked is idempotent")
	}
}

// TestDescriptorMismatchDoesNotCompile: a program that registers or calls
// a procedure through its descriptor with the wrong types does not build,
// and the compiler names the mismatch.
func TestDescriptorMismatchDoesNotCompile(t *testing.T) {
	skipWithoutGo(t)
	const head = `package main

import (
	"context"

	"github.com/ipfi-go/ipfi"
)

var hello = ipfi.Proc1[string, string]{Index: 1}

`
	cases := map[string]struct{ body, want string }{
		"argument": {
			body: `func main() { _, _ = hello.Call(context.Background(), nil, 42) }`,
			want: "cannot use 42",
		},
		"result": {
			body: `func main() { var n int; n, _ = hello.Call(context.Background(), nil, "x"); _ = n }`,
			want: "cannot use",
		},
		"procedure": {
			body: `func main() {
	i, _ := ipfi.New()
	_ = hello.Register(i, func(ctx context.Context, n int) (string, error) { return "", nil })
}`,
			want: "cannot use func",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := snippetModule(t, map[string]string{"main.go": head + c.body + "\n"})
			out, err := goCommand(t, dir, "build", "-o", os.DevNull, ".")
			if err == nil {
				t.Fatalf("the mismatched program built")
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("the compiler said %q, want it to name the mismatch (%q)", out, c.want)
			}
		})
	}
}

// TestBidiProcRegisterFunc: a bidirectional procedure registered in the
// receive-function form answers through its descriptor as the iterator
// form does.
func TestBidiProcRegisterFunc(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	server, client := newInterface(t), newInterface(t)
	t.Cleanup(func() { client.Close(); server.Close() })
	lengths := ipfi.BidiProc[string, int]{Index: 9}
	must(t, lengths.RegisterFunc(server, func(_ context.Context, recv func() (string, error), send func(int) error) error {
		for {
			s, err := recv()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := send(len(s)); err != nil {
				return err
			}
		}
	}))
	_, w, err := ipfitest.Pipe(server, client)
	must(t, err)
	s, err := lengths.Open(ctx, w)
	must(t, err)
	defer s.Close()
	must(t, s.Send("four"))
	must(t, s.Send("seven!!"))
	must(t, s.CloseSend())
	var got []int
	for n, err := range s.Values() {
		must(t, err)
		got = append(got, n)
	}
	if !slices.Equal(got, []int{4, 7}) {
		t.Errorf("got %v, want [4 7]", got)
	}
}
