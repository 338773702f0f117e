package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/ipfidebug"
	"github.com/ipfi-go/ipfi/procedures"
)

// The example procedures serve registers (arguments and results are
// MessagePack):
//
//	index  name      arguments                 result
//	0      constant  none                      42
//	1      greeting  first, last string        "Hello, <first> <last>!"
//	2      echo      exactly one value         that value, byte for byte
//	3      sequence  n int, 0..1048576         a stream of the ints 0 .. n-1
//	4      sum       any number of ints        their sum (0 for none); the ints may also come in pieces (Wire.Open, Send..., CloseSend)
//	5      sleep     ms int, 0..3600000        ms, after sleeping that long (for trying -timeout)
const (
	procConstant = 0
	procGreeting = 1
	procEcho     = 2
	procSequence = 3
	procSum      = 4
	procSleep    = 5
)

// Bounds on the arguments of sequence and sleep.
const (
	maxSequence = 1 << 20
	maxSleepMs  = 3_600_000
)

// runServe is "ipfi serve ADDR": the example procedures, served at ADDR
// until ctx ends (SIGINT or SIGTERM), then a graceful shutdown.
func runServe(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	drain := fs.Duration("drain", 5*time.Second, "once interrupted, how long open calls have to finish")
	verbose := fs.Bool("v", false, "log wires and calls that fail to stderr")
	tree := fs.Bool("tree", true, fmt.Sprintf("expose the live view at procedure %d, for ipfi tree", ipfidebug.SnapshotIndex))
	rest, err := parseFlags(fs, args, 1, 1)
	if err != nil {
		return err
	}
	addr, err := parseAddr(rest[0])
	if err != nil {
		return err
	}
	if addr.scheme == "exec" {
		return fmt.Errorf("cannot serve on %s: serve takes stdio:, tcp://host:port or unix:///path", addr)
	}
	var opts []ipfi.Option
	if *verbose {
		opts = append(opts, ipfi.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	}
	iface, err := ipfi.New(opts...)
	if err != nil {
		return err
	}
	defer iface.Close()
	if err := registerExamples(iface); err != nil {
		return err
	}
	if *tree {
		if err := ipfidebug.Expose(iface, ipfidebug.SnapshotIndex); err != nil {
			return err
		}
	}

	if addr.scheme == "stdio" {
		// Standard output is the wire: nothing may be printed on it.
		w, err := iface.ConnectStdio()
		if err != nil {
			return err
		}
		select {
		case <-w.Done():
		case <-ctx.Done():
			return nil // interrupted: the deferred Close ends the wire
		}
		if err := w.Err(); !errors.Is(err, ipfi.ErrPeerTerminated) && !errors.Is(err, ipfi.ErrPeerClosed) {
			return err
		}
		return nil // the host closed the wire, or went away
	}

	l, err := net.Listen(addr.scheme, addr.target)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", addr, unwrapOp(err))
	}
	fmt.Fprintf(stdout, "serving on %s\n", address{scheme: addr.scheme, target: l.Addr().String()})
	err = iface.Serve(ctx, l)
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil // interrupted: the normal way to stop
	}
	dctx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	if serr := iface.Shutdown(dctx); errors.Is(serr, context.DeadlineExceeded) {
		fmt.Fprintf(stderr, "ipfi serve: calls still open after -drain %v were cut short\n", *drain)
	}
	return err
}

// registerExamples registers the example procedures.
func registerExamples(iface *ipfi.Interface) error {
	for idx, p := range map[procedures.Index]procedures.Procedure{
		procConstant: procedures.Quick(procedures.Func0(func(context.Context) (int, error) {
			return 42, nil
		})),
		procGreeting: procedures.Quick(procedures.Func2(func(_ context.Context, first, last string) (string, error) {
			return "Hello, " + first + " " + last + "!", nil
		})),
		procEcho: procedures.Quick(procedures.Raw(func(_ context.Context, args []byte) ([]byte, error) {
			if n, err := codec.ValueLen(args); err != nil || n != len(args) {
				return nil, fmt.Errorf("%w: echo takes exactly one value", procedures.ErrBadArguments)
			}
			return args, nil
		})),
		procSequence: procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
			if n < 0 || n > maxSequence {
				return fmt.Errorf("%w: n is %d, want 0 to %d", procedures.ErrBadArguments, n, maxSequence)
			}
			for i := range n {
				if err := yield(i); err != nil {
					return err
				}
			}
			return nil
		}),
		procSum: procedures.Quick(procedures.Raw(func(_ context.Context, args []byte) ([]byte, error) {
			sum, err := sumArgs(args)
			if err != nil {
				return nil, err
			}
			return codec.Append(nil, sum)
		})),
		procSleep: procedures.Func1(func(ctx context.Context, ms int) (int, error) {
			if ms < 0 || ms > maxSleepMs {
				return 0, fmt.Errorf("%w: ms is %d, want 0 to %d", procedures.ErrBadArguments, ms, maxSleepMs)
			}
			t := time.NewTimer(time.Duration(ms) * time.Millisecond)
			defer t.Stop()
			select {
			case <-t.C:
				return ms, nil
			case <-ctx.Done():
				return 0, context.Cause(ctx)
			}
		}),
	} {
		if err := iface.Register(idx, p); err != nil {
			return err
		}
	}
	return nil
}

// sumArgs adds up the integers of a call's payload, one MessagePack value
// after another.
func sumArgs(args []byte) (int64, error) {
	var sum int64
	for i := 1; len(args) > 0; i++ {
		n, err := codec.ValueLen(args)
		if err != nil {
			return 0, fmt.Errorf("%w: argument %d: %v", procedures.ErrBadArguments, i, err)
		}
		var v int64
		if err := codec.Unmarshal(args[:n], &v); err != nil {
			return 0, fmt.Errorf("%w: argument %d is not an integer: %v", procedures.ErrBadArguments, i, err)
		}
		s := sum + v // wraps on overflow, which the test below catches
		if (v > 0 && s < sum) || (v < 0 && s > sum) {
			return 0, fmt.Errorf("%w: the sum overflows int64", procedures.ErrBadArguments)
		}
		sum = s
		args = args[n:]
	}
	return sum, nil
}
