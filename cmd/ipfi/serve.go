package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfidebug"
	"github.com/ipfi-go/ipfi/ipfiws"
)

// runServe is "ipfi serve ADDR": the example procedures, served at ADDR
// (with TLS for tls:// and wss://, see serverTLS.config; by an HTTP server
// for ws:// and wss://, see serveHTTP) until ctx ends (SIGINT or SIGTERM),
// then a graceful shutdown.
func runServe(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	drain := fs.Duration("drain", 5*time.Second, "once interrupted, how long open calls have to finish")
	verbose := fs.Bool("v", false, "log wires and calls that fail to stderr")
	tree := fs.Bool("tree", true, fmt.Sprintf("expose the live view at procedure %d, for ipfi tree", ipfidebug.SnapshotIndex))
	tlsFlags := addServerTLSFlags(fs)
	rest, err := parseFlags(fs, args, 1, 1)
	if err != nil {
		return err
	}
	addr, err := parseAddr(rest[0])
	if err != nil {
		return err
	}
	if addr.scheme == "exec" {
		return fmt.Errorf("cannot serve on %s: serve takes stdio:, tcp://host:port, tls://host:port, ws://host:port/path, wss://host:port/path or unix:///path", addr)
	}
	tlsConfig, err := tlsFlags.config(addr)
	if err != nil {
		return err
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

	network := addr.scheme
	if network != "unix" {
		network = "tcp"
	}
	l, err := net.Listen(network, addr.target)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", addr, unwrapOp(err))
	}
	served := address{scheme: addr.scheme, target: l.Addr().String(), path: addr.path}
	if tlsConfig != nil && tlsFlags.cert == "" {
		// Before "serving on": whoever waits for that line has it.
		leaf := tlsConfig.Certificates[0].Leaf
		fmt.Fprintf(stderr, "ipfi serve: %s: self-signed certificate for %s, valid until %s, sha256 fingerprint %s\n",
			served, strings.Join(certNames(leaf), ", "), leaf.NotAfter.UTC().Format(time.DateOnly), fingerprint(leaf.Raw))
	}
	fmt.Fprintf(stdout, "serving on %s\n", served)
	if addr.scheme == "ws" || addr.scheme == "wss" {
		return serveHTTP(ctx, iface, l, addr.path, tlsConfig, *drain, *verbose, stderr)
	}
	var serveOpts []ipfi.Option
	if tlsConfig != nil {
		serveOpts = append(serveOpts, ipfi.WithTLS(tlsConfig))
	}
	err = iface.Serve(ctx, l, serveOpts...)
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

// serveHTTP serves iface's wires as WebSockets at path (ipfiws.Handler)
// with an HTTP server on l, HTTPS when tlsConfig is not nil, until ctx
// ends; then it shuts the HTTP server down (no new WebSockets) and iface
// (open calls have drain to finish). The HTTP server's errors (a failed TLS
// handshake, say) go to stderr when verbose, nowhere otherwise.
func serveHTTP(ctx context.Context, iface *ipfi.Interface, l net.Listener, path string, tlsConfig *tls.Config, drain time.Duration, verbose bool, stderr io.Writer) error {
	mux := http.NewServeMux()
	mux.Handle(path, ipfiws.Handler(iface))
	logTo := io.Discard
	if verbose {
		logTo = stderr
	}
	srv := &http.Server{
		Handler:           mux,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(logTo, "ipfi serve: ", 0),
	}
	done := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			done <- srv.ServeTLS(l, "", "") // the certificates are tlsConfig's
		} else {
			done <- srv.Serve(l)
		}
	}()
	var err error
	select {
	case err = <-done: // the listener failed
	case <-ctx.Done():
	}
	dctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if serr := srv.Shutdown(dctx); err == nil && serr != nil && !errors.Is(serr, context.DeadlineExceeded) {
		err = serr
	}
	if err == nil {
		err = <-done // http.ErrServerClosed, at once after Shutdown
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if serr := iface.Shutdown(dctx); errors.Is(serr, context.DeadlineExceeded) {
		fmt.Fprintf(stderr, "ipfi serve: calls still open after -drain %v were cut short\n", drain)
	}
	return err
}
