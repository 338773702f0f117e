package main

// The native figures -bench compares the guests' with.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/wasm/internal/contract"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
)

// nativePipe measures sequential calls between two interfaces of this
// process over ipfitest.Pipe, serving the same procedure as the guests.
func nativePipe(ctx context.Context, d time.Duration) (rate, error) {
	a, err := ipfi.New()
	if err != nil {
		return rate{}, err
	}
	defer a.Close()
	b, err := ipfi.New()
	if err != nil {
		return rate{}, err
	}
	defer b.Close()
	if err := a.Register(contract.ProcAdd, procedures.Func2(func(_ context.Context, x, y int) (int, error) {
		return x + y, nil
	})); err != nil {
		return rate{}, err
	}
	_, wb, err := ipfitest.Pipe(a, b)
	if err != nil {
		return rate{}, err
	}
	return measure(ctx, wb, false, func() (int, error) { return sequential(ctx, wb, d) })
}

// nativeProcesses measures sequential calls to both guests built for this
// machine and run as child processes with one thread for Go code
// (GOMAXPROCS=1, as a module has): what the library costs without
// WebAssembly.
func nativeProcesses(ctx context.Context, e *engine, o options) (lib, hand rate, err error) {
	paths, err := buildGuests(ctx, o.guestDir(), true, "guest", "handguest")
	if err != nil {
		return rate{}, rate{}, err
	}
	var rates [2]rate
	for i, path := range paths {
		cmd := exec.Command(path)
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		cmd.Stderr = o.stderr
		w, err := e.host.ConnectCmd(cmd)
		if err != nil {
			return rate{}, rate{}, err
		}
		rates[i], err = measure(ctx, w, false, func() (int, error) { return sequential(ctx, w, o.benchTime) })
		if err = errors.Join(err, w.Close()); err != nil {
			return rate{}, rate{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	return rates[0], rates[1], nil
}
