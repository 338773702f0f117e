package ipfi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
)

// pair returns two interfaces joined in memory (ipfitest.Pipe), a's wire to b,
// and a function that closes everything.
func pair(aOpts, bOpts []ipfi.Option, register func(b *ipfi.Interface)) (*ipfi.Wire, *ipfi.Interface, func()) {
	a, err := ipfi.New(aOpts...)
	if err != nil {
		panic(err)
	}
	b, err := ipfi.New(bOpts...)
	if err != nil {
		panic(err)
	}
	register(b)
	wa, _, err := ipfitest.Pipe(a, b)
	if err != nil {
		panic(err)
	}
	return wa, b, func() { a.Close(); b.Close() }
}

// A streamed response, read with an iterator.
func ExampleIter() {
	w, _, done := pair(nil, nil, func(b *ipfi.Interface) {
		b.Register(3, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
			for k := range n {
				if err := yield(k * k); err != nil {
					return err
				}
			}
			return nil
		}))
	})
	defer done()
	for v, err := range ipfi.Iter[int](context.Background(), w, 3, 5) {
		if err != nil {
			panic(err)
		}
		fmt.Print(v, " ")
	}
	fmt.Println()
	// Output: 0 1 4 9 16
}

// An application error: the procedure returns an *ipfi.Error, and the
// caller matches it without importing package wire.
func ExampleError() {
	errNotFound := &ipfi.Error{Code: 404, Message: "not found"}
	w, _, done := pair(nil, nil, func(b *ipfi.Interface) {
		b.Register(1, procedures.Func1(func(_ context.Context, id int) (string, error) {
			return "", fmt.Errorf("user %d: %w", id, errNotFound)
		}))
	})
	defer done()
	_, err := ipfi.Call[string](context.Background(), w, 1, 7)
	var e *ipfi.Error
	fmt.Println(errors.Is(err, errNotFound), errors.As(err, &e), e.Code, e.Message)
	// Output: true true 404 user 7: not found
}

// A chain of server interceptors, outermost first: logging, metrics, and
// auth from the call's metadata, which refuses a call without the token
// before its procedure runs; and a caller that sends the token.
func ExampleWithInterceptors() {
	logging := func(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
		fmt.Printf("log: procedure %d called, %d metadata pairs\n", info.Procedure, len(info.Metadata))
		return next(ctx)
	}
	var served, refused atomic.Int64
	metrics := func(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
		err := next(ctx)
		if err != nil {
			refused.Add(1)
		} else {
			served.Add(1)
		}
		return err
	}
	auth := func(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
		if info.Metadata["authorization"] != "Bearer s3cret" {
			return &ipfi.Error{Code: 401, Message: "no token"}
		}
		return next(ctx)
	}
	w, _, done := pair(nil, []ipfi.Option{ipfi.WithInterceptors(
		ipfi.Interceptor{Server: logging}, ipfi.Interceptor{Server: metrics}, ipfi.Interceptor{Server: auth})}, func(b *ipfi.Interface) {
		b.Register(1, procedures.Func0(func(context.Context) (string, error) { return "secret data", nil }))
	})
	ctx := context.Background()
	_, err := ipfi.Call[string](ctx, w, 1)
	fmt.Println("caller:", err)
	got, err := ipfi.Call[string](ipfi.AppendMetadata(ctx, "authorization", "Bearer s3cret"), w, 1)
	fmt.Println("caller:", got, err)
	done() // every interceptor has returned
	fmt.Printf("metrics: %d served, %d refused\n", served.Load(), refused.Load())
	// Output:
	// log: procedure 1 called, 0 metadata pairs
	// caller: ipfi: remote call failed: application error 401: no token
	// log: procedure 1 called, 1 metadata pairs
	// caller: secret data <nil>
	// metrics: 1 served, 1 refused
}

// Metadata read by the procedure.
func ExampleMetadataFrom() {
	w, _, done := pair(nil, nil, func(b *ipfi.Interface) {
		b.Register(1, procedures.Func0(func(ctx context.Context) (string, error) {
			return "hello, " + ipfi.MetadataFrom(ctx)["user"], nil
		}))
	})
	defer done()
	ctx := context.Background()
	got, err := ipfi.Call[string](ipfi.AppendMetadata(ctx, "user", "alice"), w, 1)
	fmt.Println(got, err)
	// Output: hello, alice <nil>
}

// The live view of an interface with one call being served.
func ExampleInterface_Snapshot() {
	release := make(chan struct{})
	started := make(chan struct{})
	w, b, done := pair(nil, nil, func(b *ipfi.Interface) {
		b.Register(1, procedures.Func0(func(context.Context) (int, error) {
			close(started)
			<-release
			return 1, nil
		}))
	})
	defer done()
	p, err := w.Start(context.Background(), 1)
	if err != nil {
		panic(err)
	}
	<-started
	for _, line := range strings.Split(b.Snapshot().String(), "\n") {
		if i := strings.Index(line, "  age"); i >= 0 {
			line = line[:i] // ages and byte counts vary
		}
		fmt.Println(line)
	}
	close(release)
	_ = p.Wait(context.Background(), nil)
	// Output:
	// interface: 1 wire
	// └─ wire 1 pipe
	//    └─ serving procedure 1 call 0  running
}
