package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/wasm/internal/contract"
)

// sessionTimeout bounds one session with a module, start to exit.
const sessionTimeout = 30 * time.Second

// demo runs one session with the library guest, one with the hand-written
// guest, one with the lightweight guest, and prints a line for each thing
// it shows.
func demo(ctx context.Context, e *engine, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, sessionTimeout)
	defer cancel()

	in, err := e.start(ctx, e.guest)
	if err != nil {
		return err
	}
	defer in.kill() // if a step fails; a no-op once the module has exited
	w := in.wire

	hello, err := ipfi.Call[string](ctx, w, contract.ProcHello)
	if err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	fmt.Fprintf(out, "first call  host→guest: %q, %s after instantiation began\n",
		hello, time.Since(in.started).Round(time.Microsecond))

	sum, err := ipfi.Call[int](ctx, w, contract.ProcAdd, 2, 40)
	if err != nil || sum != 42 {
		return fmt.Errorf("add(2, 40) = %d, %v", sum, err)
	}
	fmt.Fprintf(out, "call        host→guest: add(2, 40) = %d\n", sum)

	seq, err := ipfi.Collect[int](ctx, w, contract.ProcSequence, 5)
	if err != nil || !slices.Equal(seq, []int{0, 1, 2, 3, 4}) {
		return fmt.Errorf("sequence(5) = %v, %v", seq, err)
	}
	fmt.Fprintf(out, "stream      host→guest: sequence(5) = %v\n", seq)

	cb, err := ipfi.Call[int](ctx, w, contract.ProcCallback, 7)
	if err != nil || cb != 21 {
		return fmt.Errorf("callback(7) = %d, %v", cb, err)
	}
	fmt.Fprintf(out, "callback    guest→host: callback(7) called host.double(7) = 14 over the same wire, answered %d\n", cb)

	const k = 100
	took, err := batch(ctx, in, k)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "batch       host→guest: %d calls sent without waiting, then End of input: %d answers, the module exited 0 on its own (%s)\n",
		k, k, took.Round(time.Microsecond))

	hand, err := e.start(ctx, e.hand)
	if err != nil {
		return err
	}
	defer hand.kill()
	sum, err = ipfi.Call[int](ctx, hand.wire, contract.ProcAdd, 2, 40)
	if err != nil || sum != 42 {
		return fmt.Errorf("hand-written guest: add(2, 40) = %d, %v", sum, err)
	}
	if _, err := batch(ctx, hand, 10); err != nil {
		return fmt.Errorf("hand-written guest: %w", err)
	}
	fmt.Fprintf(out, "hand-written guest:     add(2, 40) = %d, then a batch of 10 with End of input; it exited 0\n", sum)

	lite, err := e.start(ctx, e.lite)
	if err != nil {
		return err
	}
	defer lite.kill()
	if seq, err := ipfi.Collect[int](ctx, lite.wire, contract.ProcSequence, 3); err != nil || !slices.Equal(seq, []int{0, 1, 2}) {
		return fmt.Errorf("lightweight guest: sequence(3) = %v, %v", seq, err)
	}
	if cb, err := ipfi.Call[int](ctx, lite.wire, contract.ProcCallback, 7); err != nil || cb != 21 {
		return fmt.Errorf("lightweight guest: callback(7) = %d, %v", cb, err)
	}
	if _, err := batch(ctx, lite, 10); err != nil {
		return fmt.Errorf("lightweight guest: %w", err)
	}
	fmt.Fprintln(out, "package guest:          sequence(3) = [0 1 2], callback(7) = 21, then a batch of 10 with End of input; it exited 0")
	return nil
}

// batch sends k calls of add(i, i) without waiting, then End of input, then
// collects the k answers; the module must then close the wire and exit 0
// on its own. It returns how long that took.
func batch(ctx context.Context, in *instance, k int) (time.Duration, error) {
	start := time.Now()
	w := in.wire
	pending := make([]*ipfi.Pending, k)
	for i := range pending {
		p, err := w.Start(ctx, contract.ProcAdd, i, i)
		if err != nil {
			return 0, fmt.Errorf("batch: call %d: %w", i, err)
		}
		pending[i] = p
	}
	if err := w.SendEndOfInput(ctx); err != nil {
		return 0, fmt.Errorf("batch: End of input: %w", err)
	}
	for i, p := range pending {
		var v int
		if err := p.Wait(ctx, &v); err != nil || v != 2*i {
			return 0, fmt.Errorf("batch: answer %d: %d, %v", i, v, err)
		}
	}
	if err := in.wait(ctx); err != nil {
		return 0, fmt.Errorf("batch: after End of input: %w", err)
	}
	select {
	case <-w.Done():
	case <-ctx.Done():
		return 0, fmt.Errorf("batch: the wire did not end after the module exited: %w", context.Cause(ctx))
	}
	// The library guest closes its wire (a Termination message); the
	// hand-written one sends a Termination too.
	if err := w.Err(); !errors.Is(err, ipfi.ErrPeerTerminated) {
		return 0, fmt.Errorf("batch: the wire ended with %v, want ErrPeerTerminated", err)
	}
	return time.Since(start), nil
}

// instances runs n sessions side by side, each with an instance of
// compiled (a guest that serves procedure 1): a call, then a batch of 10
// with End of input, the module exiting 0 on its own. It returns the time
// from the first instantiation to the last exit.
func instances(ctx context.Context, e *engine, compiled wazero.CompiledModule, n int) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, sessionTimeout)
	defer cancel()
	start := time.Now()
	errs := make(chan error, n)
	for range n {
		go func() { errs <- shortSession(ctx, e, compiled) }()
	}
	var all []error
	for range n {
		all = append(all, <-errs)
	}
	return time.Since(start), errors.Join(all...)
}

// shortSession is one session of instances.
func shortSession(ctx context.Context, e *engine, compiled wazero.CompiledModule) error {
	in, err := e.start(ctx, compiled)
	if err != nil {
		return err
	}
	defer in.kill()
	if sum, err := ipfi.Call[int](ctx, in.wire, contract.ProcAdd, 2, 40); err != nil || sum != 42 {
		return fmt.Errorf("%s: add(2, 40) = %d, %v", in.name, sum, err)
	}
	if _, err := batch(ctx, in, 10); err != nil {
		return fmt.Errorf("%s: %w", in.name, err)
	}
	return nil
}
