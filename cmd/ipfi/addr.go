package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"

	"github.com/ipfi-go/ipfi"
)

// addrForms lists the address forms, for error messages.
const addrForms = "tcp://host:port, tls://host:port, unix:///path or exec:command args"

// address is a parsed ADDR argument: where to connect, or where to serve.
type address struct {
	scheme string   // "tcp", "tls", "unix", "exec" or "stdio"
	target string   // host:port for tcp and tls, the socket's path for unix
	argv   []string // the command and its arguments, for exec
	// tls configures connect's TLS client for tls (clientTLS.apply sets
	// it); nil: verify against the system's roots.
	tls *tls.Config
}

// parseAddr parses tcp://host:port, tls://host:port (TCP with TLS),
// unix:///path (unix://relative/path
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
	}
	return a.scheme + "://" + a.target
}

// connect makes a wire to a: a dialled socket (with TLS for tls://), or a child process over its
// stdio whose standard error goes to stderr.
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
