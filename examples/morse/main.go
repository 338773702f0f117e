// Command morse connects two IPFI interfaces, A and B, in one process over a
// wire that is literally Morse code: each byte crosses as its two hex digits
// in dots and dashes, one symbol at a time through a channel, and is decoded
// back on the other side. A and B call each other and B streams values to A;
// the Morse of each direction is printed as it flows (-quiet hides it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"
	"time"

	"github.com/ipfi-go/ipfi"
)

// The procedures: A serves add, B serves greet and fib; each side registers
// and calls them through these descriptors.
var (
	procGreet = ipfi.Proc1[string, string]{Index: 1} // name -> greeting
	procAdd   = ipfi.Proc2[int, int, int]{Index: 2}  // x, y -> x+y
	procFib   = ipfi.SeqProc1[int, int]{Index: 3}    // n -> streams the first n Fibonacci numbers
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "morse:", err)
		os.Exit(1)
	}
}

// printer serialises the lines of the main goroutine and of both encoders.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("morse", flag.ContinueOnError)
	quiet := fs.Bool("quiet", false, "print only the results, not the Morse")
	delay := fs.Duration("delay", 0, "pause before each Morse symbol, for drama (e.g. 2ms)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *delay < 0 || fs.NArg() > 0 {
		return errors.New("usage: morse [-quiet] [-delay d], d >= 0")
	}
	out := &printer{w: stdout}
	var show func(name, text string)
	if !*quiet {
		show = func(name, text string) { out.printf("%s: %s\n", name, text) }
	}
	ab := newLine("A->B", *delay, show)
	ba := newLine("B->A", *delay, show)

	// At drama speed one write takes longer than the default write timeout
	// allows, and closing must wait for the Termination message, one byte
	// of at most 12 symbols.
	opts := []ipfi.Option{ipfi.WithTimeouts(ipfi.Timeouts{Write: -1, CloseGrace: time.Second + 12*(*delay)})}
	a, err := ipfi.New(opts...)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := ipfi.New(opts...)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := procAdd.Register(a, func(_ context.Context, x, y int) (int, error) {
		return x + y, nil
	}); err != nil {
		return err
	}
	if err := procGreet.Register(b, func(_ context.Context, name string) (string, error) {
		return "Hello, " + name + "! B here.", nil
	}); err != nil {
		return err
	}
	if err := procFib.Register(b, func(ctx context.Context, n int, yield func(int) error) error {
		x, y := 1, 1
		for range n {
			if err := yield(x); err != nil {
				return err
			}
			x, y = y, x+y
		}
		return nil
	}); err != nil {
		return err
	}

	// A reads what B encodes and writes what B decodes, and the other way.
	wa, err := a.Connect(ba.Decoder(), ab.Encoder())
	if err != nil {
		return err
	}
	defer wa.Close()
	wb, err := b.Connect(ab.Decoder(), ba.Encoder())
	if err != nil {
		return err
	}
	defer wb.Close()

	calls := 0
	calls++
	greeting, err := procGreet.Call(ctx, wa, "A")
	if err != nil {
		return fmt.Errorf("greet: %w", err)
	}
	out.printf("A called B.greet(%q) = %q\n", "A", greeting)
	if greeting != "Hello, A! B here." {
		return fmt.Errorf("greet returned %q", greeting)
	}

	calls++
	sum, err := procAdd.Call(ctx, wb, 19, 23)
	if err != nil {
		return fmt.Errorf("add: %w", err)
	}
	out.printf("B called A.add(19, 23) = %d\n", sum)
	if sum != 42 {
		return fmt.Errorf("add returned %d", sum)
	}

	calls++
	var fib []int
	for v, err := range procFib.Iter(ctx, wa, 7) {
		if err != nil {
			return fmt.Errorf("fib: %w", err)
		}
		out.printf("A got B.fib(7) value %d: %d\n", len(fib), v)
		fib = append(fib, v)
	}
	out.printf("A streamed B.fib(7) = %v\n", fib)
	if want := []int{1, 1, 2, 3, 5, 8, 13}; !slices.Equal(fib, want) {
		return fmt.Errorf("fib streamed %v, want %v", fib, want)
	}

	// A hangs up: its Termination message ends B's wire too.
	if err := wa.Close(); err != nil {
		return err
	}
	select {
	case <-wb.Done():
	case <-time.After(5 * time.Second):
		return errors.New("the wire at B did not end after A closed its own")
	}
	if err := wb.Close(); err != nil {
		return err
	}
	if err := errors.Join(a.Close(), b.Close()); err != nil {
		return err
	}
	out.printf("wires ended: A's with %q, B's with %q\n", wa.Err(), wb.Err())
	out.printf("summary: %d calls (A->B 2, B->A 1)\n", calls)
	for _, l := range []*line{ab, ba} {
		out.printf("  %s carried %d bytes in %d symbols\n", l.name, l.bytes.Load(), l.sent.Load())
	}
	return nil
}
