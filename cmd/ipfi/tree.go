package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfidebug"
	"github.com/ipfi-go/ipfi/procedures"
)

// runTree is "ipfi tree ADDR": the live view of an interface that exposes
// it (ipfidebug.Expose; `ipfi serve` does, at ipfidebug.SnapshotIndex),
// printed as a tree, or as JSON with -json.
func runTree(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	proc := fs.Uint64("proc", uint64(ipfidebug.SnapshotIndex), "the procedure that answers the live view")
	asJSON := fs.Bool("json", false, "print the JSON as it came")
	timeout := fs.Duration("timeout", 10*time.Second, "how long connecting and the call may take")
	tlsFlags := addClientTLSFlags(fs)
	rest, err := parseFlags(fs, args, 1, 1)
	if err != nil {
		return err
	}
	addr, err := parseAddr(rest[0])
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
	raw, err := ipfi.Call[string](ctx, w, procedures.Index(*proc))
	switch {
	case errors.Is(err, procedures.ErrUnknown):
		return fmt.Errorf("%s does not expose its live view at procedure %d (ipfidebug.Expose; -proc)", addr, *proc)
	case err != nil:
		return fmt.Errorf("procedure %d failed: %w", *proc, err)
	}
	if *asJSON {
		fmt.Fprintln(stdout, raw)
		return nil
	}
	var s ipfidebug.Snapshot
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return fmt.Errorf("procedure %d did not answer a live view: %w", *proc, err)
	}
	fmt.Fprint(stdout, s.String())
	return nil
}
