package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/codec"
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
//
// The typed ones are declared as descriptors, which a Go program calls
// them through (procGreeting.Call(ctx, w, "John", "Doe")); echo and sum
// are raw procedures, which walk their payload themselves, at the indexes
// procEcho and procSum.
var (
	procConstant = ipfi.Proc0[int]{Index: 0}
	procGreeting = ipfi.Proc2[string, string, string]{Index: 1}
	procSequence = ipfi.SeqProc1[int, int]{Index: 3}
	procSleep    = ipfi.Proc1[int, int]{Index: 5}
)

// The indexes of the raw example procedures.
const (
	procEcho procedures.Index = 2
	procSum  procedures.Index = 4
)

// Bounds on the arguments of sequence and sleep.
const (
	maxSequence = 1 << 20
	maxSleepMs  = 3_600_000
)

// registerExamples registers the example procedures on iface. Constant,
// greeting, echo and sum neither block nor call back: they are Quick, run
// on the wire's reader.
func registerExamples(iface *ipfi.Interface) error {
	return errors.Join(
		iface.Register(procConstant.Index, procedures.Quick(procConstant.Procedure(constant))),
		iface.Register(procGreeting.Index, procedures.Quick(procGreeting.Procedure(greeting))),
		iface.Register(procEcho, procedures.Quick(procedures.Raw(echo))),
		procSequence.Register(iface, sequence),
		iface.Register(procSum, procedures.Quick(procedures.Raw(sum))),
		procSleep.Register(iface, sleep),
	)
}

// constant is procedure 0: 42.
func constant(context.Context) (int, error) { return 42, nil }

// greeting is procedure 1: "Hello, <first> <last>!".
func greeting(_ context.Context, first, last string) (string, error) {
	return "Hello, " + first + " " + last + "!", nil
}

// echo is procedure 2: its one argument, byte for byte.
func echo(_ context.Context, args []byte) ([]byte, error) {
	if n, err := codec.ValueLen(args); err != nil || n != len(args) {
		return nil, fmt.Errorf("%w: echo takes exactly one value", procedures.ErrBadArguments)
	}
	return args, nil
}

// sequence is procedure 3: the ints 0 .. n-1, one value each.
func sequence(_ context.Context, n int, yield func(int) error) error {
	if n < 0 || n > maxSequence {
		return fmt.Errorf("%w: n is %d, want 0 to %d", procedures.ErrBadArguments, n, maxSequence)
	}
	for i := range n {
		if err := yield(i); err != nil {
			return err
		}
	}
	return nil
}

// sum is procedure 4: the sum of its ints, however many.
func sum(_ context.Context, args []byte) ([]byte, error) {
	s, err := sumArgs(args)
	if err != nil {
		return nil, err
	}
	return codec.Append(nil, s)
}

// sleep is procedure 5: ms, after sleeping that long, or the call's
// context's cause if it ends first.
func sleep(ctx context.Context, ms int) (int, error) {
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
}

// sumArgs adds up the integers of a call's payload, one MessagePack value
// after another.
func sumArgs(args []byte) (int64, error) {
	var total int64
	for i := 1; len(args) > 0; i++ {
		n, err := codec.ValueLen(args)
		if err != nil {
			return 0, fmt.Errorf("%w: argument %d: %v", procedures.ErrBadArguments, i, err)
		}
		var v int64
		if err := codec.Unmarshal(args[:n], &v); err != nil {
			return 0, fmt.Errorf("%w: argument %d is not an integer: %v", procedures.ErrBadArguments, i, err)
		}
		s := total + v // wraps on overflow, which the test below catches
		if (v > 0 && s < total) || (v < 0 && s > total) {
			return 0, fmt.Errorf("%w: the sum overflows int64", procedures.ErrBadArguments)
		}
		total = s
		args = args[n:]
	}
	return total, nil
}
