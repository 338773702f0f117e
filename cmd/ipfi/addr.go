package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"

	"github.com/coder/websocket"
	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiws"
)

// addrForms lists the address forms, for error messages.
const addrForms = "tcp://host:port, tls://host:port, ws://host:port/path, wss://host:port/path, unix:///path or exec:command args"

// address is a parsed ADDR argument: where to connect, or where to serve.
type address struct {
	scheme string   // "tcp", "tls", "ws", "wss", "unix", "exec" or "stdio"
	target string   // host:port for tcp, tls, ws and wss, the socket's path for unix
	path   string   // the HTTP path for ws and wss, "/" when the address has none
	argv   []string // the command and its arguments, for exec
	// tls configures connect's TLS client for tls and wss
	// (clientTLS.apply sets it); nil: verify against the system's roots.
	tls *tls.Config
}

// parseAddr parses tcp://host:port, tls://host:port (TCP with TLS),
// ws://host:port/path and wss://host:port/path (a WebSocket at path, "/"
// if none, over HTTP or HTTPS), unix:///path (unix://relative/path
// names a path relative to the working directory), exec:command args
// (split at spaces, no quoting) and stdio: (only for serve).
func parseAddr(s string) (address, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return address{}, fmt.Errorf("bad address %q: want %s", s, addrForms)
	}
	switch scheme {
	case "tcp", "tls":
		hostport, ok := strings.CutPrefix(rest, "//")
		if !ok || hostport == "" {
			return address{}, fmt.Errorf("bad address %q: want %s://host:port", s, scheme)
		}
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			return address{}, fmt.Errorf("bad address %q: %v", s, err)
		}
		return address{scheme: scheme, target: hostport}, nil
	case "ws", "wss":
		hostport, ok := strings.CutPrefix(rest, "//")
		if !ok || hostport == "" {
			return address{}, fmt.Errorf("bad address %q: want %s://host:port/path", s, scheme)
		}
		hostport, path, _ := strings.Cut(hostport, "/")
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			return address{}, fmt.Errorf("bad address %q: %v", s, err)
		}
		return address{scheme: scheme, target: hostport, path: "/" + path}, nil
	case "unix":
		path, ok := strings.CutPrefix(rest, "//")
		if !ok || path == "" {
			return address{}, fmt.Errorf("bad address %q: want unix:///path", s)
		}
		return address{scheme: "unix", target: path}, nil
	case "exec":
		argv := strings.Fields(rest)
		if len(argv) == 0 {
			return address{}, fmt.Errorf("bad address %q: want exec:command args", s)
		}
		return address{scheme: "exec", argv: argv}, nil
	case "stdio":
		if rest != "" {
			return address{}, fmt.Errorf("bad address %q: want stdio: alone", s)
		}
		return address{scheme: "stdio"}, nil
	}
	return address{}, fmt.Errorf("bad address %q: unknown scheme %q, want %s", s, scheme, addrForms)
}

// String is the address in the form parseAddr takes.
func (a address) String() string {
	switch a.scheme {
	case "exec":
		return "exec:" + strings.Join(a.argv, " ")
	case "stdio":
		return "stdio:"
	case "ws", "wss":
		return a.scheme + "://" + a.target + a.path
	}
	return a.scheme + "://" + a.target
}

// connect makes a wire to a: a dialled socket (with TLS for tls://), a
// WebSocket (over HTTPS for wss://), or a child process over its stdio
// whose standard error goes to stderr.
func (a address) connect(ctx context.Context, iface *ipfi.Interface, stderr io.Writer) (*ipfi.Wire, error) {
	switch a.scheme {
	case "tcp", "unix":
		w, err := iface.Dial(ctx, a.scheme, a.target)
		if err != nil {
			return nil, fmt.Errorf("cannot connect to %s: %w", a, unwrapOp(err))
		}
		return w, nil
	case "tls":
		cfg := a.tls
		if cfg == nil {
			cfg = &tls.Config{}
		}
		w, err := iface.Dial(ctx, "tcp", a.target, ipfi.WithTLS(cfg))
		if err != nil {
			return nil, fmt.Errorf("cannot connect to %s: %w", a, withFingerprint(unwrapOp(err)))
		}
		return w, nil
	case "ws", "wss":
		return a.dialWebSocket(ctx, iface)
	case "exec":
		cmd := exec.Command(a.argv[0], a.argv[1:]...)
		cmd.Stderr = stderr
		w, err := iface.ConnectCmd(cmd)
		if err != nil {
			return nil, fmt.Errorf("cannot start %s: %w", a, err)
		}
		return w, nil
	}
	return nil, fmt.Errorf("cannot connect to %s: serve on it instead", a)
}

// unwrapOp drops the "dial tcp host:port: " prefix of a *net.OpError, which
// the message says already, keeping the cause ("connect: connection refused").
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// dialWebSocket makes a wire over a WebSocket to a, a ws:// or wss://
// address; for wss:// its HTTP client uses a.tls.
func (a address) dialWebSocket(ctx context.Context, iface *ipfi.Interface) (*ipfi.Wire, error) {
	cfg := a.tls
	if cfg == nil {
		cfg = &tls.Config{}
	}
	// HTTP/1.1 only (no ForceAttemptHTTP2): the upgrade needs it.
	tr := &http.Transport{TLSClientConfig: cfg, Proxy: http.ProxyFromEnvironment}
	// The WebSocket's connection leaves the transport's pool once upgraded;
	// nothing else may stay in it.
	defer tr.CloseIdleConnections()
	w, err := ipfiws.DialWithOptions(ctx, iface, a.String(), &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s: %w", a, withFingerprint(unwrapOp(err)))
	}
	return w, nil
}
