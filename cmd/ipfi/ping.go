package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ipfi-go/ipfi"
)

// runPing is "ipfi ping ADDR": n round trips (Wire.Ping), each printed, and
// their minimum, mean and maximum when there are several.
func runPing(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	count := fs.Int("n", 1, "how many pings")
	interval := fs.Duration("i", time.Second, "pause between pings")
	timeout := fs.Duration("timeout", 10*time.Second, "how long connecting, and then each ping, may take")
	tlsFlags := addClientTLSFlags(fs)
	rest, err := parseFlags(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *count < 1 {
		return usageError{"-n must be at least 1"}
	}
	addr, err := parseAddr(rest[0])
	if err != nil {
		return err
	}
	if err := tlsFlags.apply(&addr, stderr); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, *timeout)
	iface, w, err := connect(cctx, addr, stderr)
	cancel()
	if err != nil {
		return err
	}
	defer iface.Close()
	var lo, hi, sum time.Duration
	for i := range *count {
		if i > 0 {
			select {
			case <-time.After(*interval):
			case <-ctx.Done():
				return nil // interrupted: what was measured has been printed
			}
		}
		pctx, cancel := context.WithTimeout(ctx, *timeout)
		rtt, err := w.Ping(pctx)
		cancel()
		switch {
		case errors.Is(err, ipfi.ErrNoExtensions):
			return fmt.Errorf("%s does not speak this library's extensions, which ping needs (a Rust peer?)", addr)
		case errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("no pong from %s within %v (-timeout)", addr, *timeout)
		case err != nil:
			return fmt.Errorf("ping %s: %w", addr, err)
		}
		fmt.Fprintf(stdout, "pong in %v from %s\n", round(rtt), addr)
		if i == 0 || rtt < lo {
			lo = rtt
		}
		hi = max(hi, rtt)
		sum += rtt
	}
	if *count > 1 {
		fmt.Fprintf(stdout, "%d pings: min %v, mean %v, max %v\n", *count, round(lo), round(sum/time.Duration(*count)), round(hi))
	}
	return nil
}

// round rounds d to three or four significant digits, for printing.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(time.Microsecond)
	case d >= 10*time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d.Round(10 * time.Nanosecond)
}
