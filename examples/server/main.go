// Command server serves a fixed set of IPFI procedures on a TCP or Unix
// socket, or over TLS: a peer for trying clients against, and a target for
// load and attack tools. Every limit of ipfi.Limits is a flag, so a run can
// tighten them.
//
// Usage:
//
//	go run ./examples/server [-addr 127.0.0.1:7070 | -addr unix:/path | -addr tls:127.0.0.1:7070 -cert FILE -key FILE] [-log info] [limits...]
//
// With -addr tls:host:port it serves TCP with TLS (ipfi.WithTLS), its
// certificate and key read from the PEM files -cert and -key.
//
// It prints one line on stdout, "listening on ADDR", ADDR in the form -addr
// takes (so -addr 127.0.0.1:0 reports the port it got), logs to stderr, and
// on SIGINT or SIGTERM shuts down (new calls are refused, open ones have
// -drain to finish), ends every wire and exits 0 (a second signal kills it
// at once).
//
// Procedures (arguments and results are MessagePack):
//
//	index  name      arguments             result
//	0      constant  none                  int 42
//	1      greeting  name string           string "Hello, <name>!"
//	2      echo      exactly one value     that value, byte for byte
//	3      sequence  n int, 0..1048576     a stream of the ints 0 .. n-1
//	4      sum       ints, sent in pieces  int: their sum (Wire.Open, Send..., CloseSend, Recv)
//	5      sleep     ms int, 0..3600000    ms, after sleeping that long; or the call context's error
//
// An argument out of range is an error matching procedures.ErrBadArguments.
// The typed procedures are declared as descriptors (procConstant, ...),
// which register registers and a Go client calls them through; echo is a
// raw procedure, at index procEcho.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/procedures"
)

// The procedures of the package comment's table.
var (
	procConstant = ipfi.Proc0[int]{Index: 0}
	procGreeting = ipfi.Proc1[string, string]{Index: 1}
	procSequence = ipfi.SeqProc1[int, int]{Index: 3}
	procSum      = ipfi.BidiProc[int, int]{Index: 4}
	procSleep    = ipfi.Proc1[int, int]{Index: 5}
)

// procEcho is the index of echo, a raw procedure: it answers its argument's
// bytes as they came.
const procEcho procedures.Index = 2

// Bounds on the arguments of sequence and sleep.
const (
	maxSequence = 1 << 20
	maxSleepMs  = 3_600_000
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second signal kills at once
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "server:", err)
		stop()
		os.Exit(1)
	}
}

// config is what the command line sets.
type config struct {
	addr     string
	cert     string // with tls: addresses, the certificate's PEM file
	key      string // and its key's
	level    slog.Level
	limits   ipfi.Limits
	timeouts ipfi.Timeouts
	drain    time.Duration
}

// parse reads the command line; flag errors and usage go to stderr.
func parse(args []string, stderr io.Writer) (*config, error) {
	c := &config{limits: ipfi.Limits{}.WithDefaults(), timeouts: ipfi.Timeouts{}.WithDefaults()}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:7070", "address to listen on: host:port (TCP), tls:host:port (TCP with TLS, with -cert and -key) or unix:/path")
	fs.StringVar(&c.cert, "cert", "", "with -addr tls:host:port: the server's certificate, a PEM `file`")
	fs.StringVar(&c.key, "key", "", "with -addr tls:host:port: the private key of -cert, a PEM `file`")
	fs.TextVar(&c.level, "log", slog.LevelInfo, "log level: debug, info, warn or error")
	// One flag per limit or option; options passes them to ipfi.New.
	fs.IntVar(&c.limits.MaxFrame, "max-frame", c.limits.MaxFrame, "Limits.MaxFrame: largest frame payload a peer may declare, in bytes")
	fs.IntVar(&c.limits.MaxCallArgs, "max-call-args", c.limits.MaxCallArgs, "Limits.MaxCallArgs: most argument bytes of one call from a peer")
	fs.IntVar(&c.limits.MaxWireArgs, "max-wire-args", c.limits.MaxWireArgs, "Limits.MaxWireArgs: most bytes the calls of one wire hold (arguments until their procedures return, answers waiting)")
	fs.IntVar(&c.limits.MaxOpenCalls, "max-open-calls", c.limits.MaxOpenCalls, "Limits.MaxOpenCalls: most calls from a peer open at once on one wire")
	fs.IntVar(&c.limits.MaxOpenStreams, "max-open-streams", c.limits.MaxOpenStreams, "Limits.MaxOpenStreams: most calls to streaming procedures open at once on one wire")
	fs.IntVar(&c.limits.MaxCalls, "max-calls", c.limits.MaxCalls, "Limits.MaxCalls: most calls open at once on all wires")
	fs.IntVar(&c.limits.MaxWires, "max-wires", c.limits.MaxWires, "Limits.MaxWires: most wires at once")
	fs.IntVar(&c.limits.MaxWriteQueue, "max-write-queue", c.limits.MaxWriteQueue, "Limits.MaxWriteQueue: most bytes a wire holds for its peer")
	fs.IntVar(&c.limits.MaxCollected, "max-collected", c.limits.MaxCollected, "Limits.MaxCollected: most response bytes this side's calls on one wire collect")
	fs.DurationVar(&c.timeouts.KeepaliveInterval, "keepalive", c.timeouts.KeepaliveInterval, "Timeouts.KeepaliveInterval: quiet time before a keepalive ping (negative: off)")
	fs.DurationVar(&c.timeouts.KeepaliveTimeout, "keepalive-timeout", c.timeouts.KeepaliveTimeout, "Timeouts.KeepaliveTimeout: time the peer has to answer it")
	fs.DurationVar(&c.timeouts.Write, "write-timeout", c.timeouts.Write, "Timeouts.Write: how long a write may make no progress")
	fs.DurationVar(&c.timeouts.Handshake, "handshake-timeout", c.timeouts.Handshake, "Timeouts.Handshake: how long a new connection may send nothing")
	fs.DurationVar(&c.timeouts.Idle, "idle-timeout", c.timeouts.Idle, "Timeouts.Idle: how long a wire may have no call and receive no message")
	fs.DurationVar(&c.timeouts.Stop, "stop-timeout", c.timeouts.Stop, "Timeouts.Stop: how long closing waits for procedures to return")
	fs.DurationVar(&c.timeouts.CloseGrace, "close-grace", c.timeouts.CloseGrace, "Timeouts.CloseGrace: how long closing a wire waits for its Termination message to be written")
	fs.DurationVar(&c.drain, "drain", 10*time.Second, "on SIGINT or SIGTERM, how long open calls may take to finish (Shutdown) before the hard stop")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	isTLS := strings.HasPrefix(c.addr, "tls:")
	if isTLS && (c.cert == "" || c.key == "") {
		return nil, fmt.Errorf("-addr %s needs -cert and -key", c.addr)
	}
	if !isTLS && (c.cert != "" || c.key != "") {
		return nil, fmt.Errorf("-cert and -key only apply to -addr tls:host:port, not %s", c.addr)
	}
	return c, nil
}

// serveOptions are Serve's options: WithTLS with -cert and -key for a
// tls: address, none otherwise.
func (c *config) serveOptions() ([]ipfi.Option, error) {
	if c.cert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		return nil, fmt.Errorf("cannot load -cert and -key: %w", err)
	}
	return []ipfi.Option{ipfi.WithTLS(&tls.Config{Certificates: []tls.Certificate{cert}})}, nil
}

// options are the interface's options as the command line sets them.
func (c *config) options(log *slog.Logger) []ipfi.Option {
	return []ipfi.Option{
		ipfi.WithLogger(log),
		ipfi.WithLimits(c.limits),
		ipfi.WithTimeouts(c.timeouts),
	}
}

// run is the whole server: it serves until ctx is done, then ends every wire
// and returns nil, or returns the first error that stops it from serving.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parse(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: c.level}))
	iface, err := ipfi.New(append(c.options(log), wireLog(log))...)
	if err != nil {
		return err
	}
	defer iface.Close()
	if err := register(iface); err != nil {
		return err
	}
	serveOpts, err := c.serveOptions()
	if err != nil {
		return err
	}
	l, err := listen(c.addr)
	if err != nil {
		return err
	}
	defer l.Close()
	addr := l.Addr().String()
	switch {
	case l.Addr().Network() == "unix":
		addr = "unix:" + addr
	case serveOpts != nil:
		addr = "tls:" + addr
	}
	fmt.Fprintf(stdout, "listening on %s\n", addr)
	log.Info("serving", "addr", addr, "limits", fmt.Sprintf("%+v", c.limits))

	// Serve retries temporary Accept errors, gives its wires the
	// handshake and idle timeouts (the first bounds the TLS handshake),
	// and closes (and logs) connections beyond the wire limit and those
	// whose TLS handshake fails.
	err = iface.Serve(ctx, l, serveOpts...)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = nil // asked to stop
	}
	// Stop: refuse new calls, let open ones finish for at most the drain
	// time, end every wire (each end is logged by wireLog).
	dctx, cancel := context.WithTimeout(context.Background(), c.drain)
	closeErr := iface.Shutdown(dctx)
	cancel()
	if errors.Is(closeErr, context.DeadlineExceeded) {
		log.Warn("calls still open after the drain time: closed", "drain", c.drain)
		closeErr = nil
	}
	log.Info("stopped")
	return errors.Join(err, closeErr)
}

// wireLog logs each wire as it is made (at debug) and as it ends (at
// info), with the peer's address, its age and its cause.
func wireLog(log *slog.Logger) ipfi.Option {
	var mu sync.Mutex
	opened := make(map[*ipfi.Wire]time.Time)
	return ipfi.WithInterceptors(ipfi.Interceptor{WireOpened: func(w *ipfi.Wire) {
		mu.Lock()
		opened[w] = time.Now()
		mu.Unlock()
		log.Debug("wire accepted", "wire", w)
	}, WireEnded: func(w *ipfi.Wire, cause error) {
		mu.Lock()
		start := opened[w]
		delete(opened, w)
		mu.Unlock()
		log.Info("wire ended", "wire", w, "after", time.Since(start).Round(time.Millisecond), "cause", cause)
	}})
}

// listen listens on addr: "unix:/path" for a Unix socket, host:port or
// tls:host:port for TCP.
func listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		return net.Listen("unix", path)
	}
	return net.Listen("tcp", strings.TrimPrefix(addr, "tls:"))
}

// register registers the procedures of the package comment's table.
// Constant, greeting and echo neither block nor call back: they are Quick,
// run on the wire's reader.
func register(iface *ipfi.Interface) error {
	return errors.Join(
		iface.Register(procConstant.Index, procedures.Quick(procConstant.Procedure(constant))),
		iface.Register(procGreeting.Index, procedures.Quick(procGreeting.Procedure(greeting))),
		iface.Register(procEcho, procedures.Quick(procedures.Raw(echo))),
		procSequence.Register(iface, sequence),
		procSum.Register(iface, sum),
		procSleep.Register(iface, sleep),
	)
}

// constant is procedure 0: 42.
func constant(context.Context) (int, error) { return 42, nil }

// greeting is procedure 1: "Hello, <name>!".
func greeting(_ context.Context, name string) (string, error) {
	return "Hello, " + name + "!", nil
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

// sum is procedure 4: the sum of the ints sent, as one value once the
// input has ended.
func sum(_ context.Context, in iter.Seq2[int, error], yield func(int) error) error {
	total := 0
	for v, err := range in {
		if err != nil {
			return err
		}
		total += v
	}
	return yield(total)
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
