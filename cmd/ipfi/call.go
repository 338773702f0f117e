package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// runCall is "ipfi call ADDR PROC [ARGS...]": one call, its response's
// values printed as JSON, one per line.
func runCall(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	timeout := fs.Duration("timeout", 10*time.Second, "how long connecting and the call together may take")
	tlsFlags := addClientTLSFlags(fs)
	rest, err := parseFlags(fs, args, 2, -1)
	if err != nil {
		return err
	}
	addr, proc, payload, err := parseTarget(rest)
	if err != nil {
		return err
	}
	if err := tlsFlags.apply(&addr, stderr); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	iface, w, err := connect(ctx, addr, stderr)
	if err != nil {
		return err
	}
	defer iface.Close()
	var out []byte // one value's JSON, reused
	err = invoke(ctx, w, proc, payload, func(value []byte) error {
		var jerr error
		if out, jerr = msgpackToJSON(out[:0], value); jerr != nil {
			return jerr
		}
		_, werr := stdout.Write(out)
		return werr
	})
	return callError(err, proc, *timeout)
}

// connect makes an interface and a wire to addr on it. The caller closes
// the interface, which closes the wire.
func connect(ctx context.Context, addr address, stderr io.Writer) (*ipfi.Interface, *ipfi.Wire, error) {
	iface, wires, err := connectN(ctx, addr, 1, stderr)
	if err != nil {
		return nil, nil, err
	}
	return iface, wires[0], nil
}

// connectN makes an interface and n wires to addr on it, one connection
// (or child process, for exec:) each, one after another. The caller closes
// the interface, which closes the wires; when one fails, connectN closes
// it itself.
func connectN(ctx context.Context, addr address, n int, stderr io.Writer) (*ipfi.Interface, []*ipfi.Wire, error) {
	iface, err := ipfi.New()
	if err != nil {
		return nil, nil, err
	}
	wires := make([]*ipfi.Wire, 0, n)
	for len(wires) < n {
		w, err := addr.connect(ctx, iface, stderr)
		if err != nil {
			iface.Close()
			if ctx.Err() != nil {
				err = fmt.Errorf("cannot connect to %s: %w", addr, context.Cause(ctx))
			}
			if n > 1 {
				err = fmt.Errorf("connection %d of %d: %w", len(wires)+1, n, err)
			}
			return nil, nil, err
		}
		wires = append(wires, w)
	}
	return iface, wires, nil
}

// invoke calls proc with payload (MessagePack values, one after another)
// and hands each value of the response to each, in order: one for a plain
// procedure, any number for a streaming one.
func invoke(ctx context.Context, w *ipfi.Wire, proc procedures.Index, payload []byte, each func(value []byte) error) error {
	var args []any
	if len(payload) > 0 {
		// Sent as is: one Call message holding the whole payload.
		args = []any{ipfi.Raw(payload)}
	}
	s, err := w.Stream(ctx, proc, args)
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		var value ipfi.Raw
		err := s.Recv(&value)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(value) == 0 {
			return fmt.Errorf("%w (an empty response)", ipfi.ErrRemote)
		}
		if err := each(value); err != nil {
			return err
		}
	}
}

// callError says why a call of proc failed, in one line: a remote error
// with its code and message, a timeout, the wire's end.
func callError(err error, proc procedures.Index, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	var re *ipfi.RemoteError
	switch {
	case errors.As(err, &re) && re.Code == ipfi.CodeDeadline && timeout > 0:
		// The callee's copy of our deadline passed first: the same timeout.
		return fmt.Errorf("procedure %d: no response within %v (-timeout)", proc, timeout)
	case errors.As(err, &re):
		// The error's own words once, then the protocol's code for scripts.
		what := strings.TrimPrefix(re.Error(), ipfi.ErrRemote.Error()+": ")
		return fmt.Errorf("procedure %d failed: %s (remote error code %d)", proc, what, uint64(re.Code))
	case errors.Is(err, ipfi.ErrRemote):
		return fmt.Errorf("procedure %d failed: the peer reported a failure without saying why (it does not speak the extensions)", proc)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("procedure %d: no response within %v (-timeout)", proc, timeout)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("procedure %d: interrupted", proc)
	}
	return fmt.Errorf("procedure %d: %w", proc, err)
}
