package tests

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/ipfitest/transporttest"
)

// TestMainScenariosOverEveryTransport: the main scenarios
// (transporttest.RunScenarios) over loopback TCP, TCP with TLS (Dial and
// Serve with WithTLS), a Unix socket, an in-memory pipe, one byte at a
// time both ways, push mode, and a child process's stdio. Package ipfiws
// runs them over WebSocket, module ipfiquic over QUIC.
func TestMainScenariosOverEveryTransport(t *testing.T) {
	overConns := func(wrap func(net.Conn) io.ReadWriteCloser, network string) transporttest.Pair {
		return func(t *testing.T, caller, callee *ipfi.Interface) (*ipfi.Wire, func()) {
			ca, cb := connPair(t, network)
			connA := wrap(ca)
			w, err := caller.Connect(connA, connA)
			must(t, err)
			connB := wrap(cb)
			_, err = callee.Connect(connB, connB)
			must(t, err)
			return w, func() { cb.Close() }
		}
	}
	same := func(c net.Conn) io.ReadWriteCloser { return c }
	t.Run("tcp", func(t *testing.T) { transporttest.RunScenarios(t, overConns(same, "tcp")) })
	t.Run("tls", func(t *testing.T) { transporttest.RunScenarios(t, tlsPair) })
	t.Run("unix", func(t *testing.T) { transporttest.RunScenarios(t, overConns(same, "unix")) })
	t.Run("pipe", func(t *testing.T) {
		transporttest.RunScenarios(t, func(t *testing.T, caller, callee *ipfi.Interface) (*ipfi.Wire, func()) {
			w, wb, err := ipfitest.Pipe(caller, callee)
			must(t, err)
			return w, func() { go wb.Close() } // Close waits for the blocked procedure's return
		})
	})
	t.Run("one-byte", func(t *testing.T) {
		transporttest.RunScenarios(t, func(t *testing.T, caller, callee *ipfi.Interface) (*ipfi.Wire, func()) {
			ca, cb := net.Pipe()
			slowA := ipfitest.OneByteAtATime(ca)
			w, err := caller.Connect(slowA, slowA)
			must(t, err)
			slowB := ipfitest.OneByteAtATime(cb)
			_, err = callee.Connect(slowB, slowB)
			must(t, err)
			return w, func() { cb.Close() }
		}, transporttest.Slow())
	})
	t.Run("push", func(t *testing.T) {
		transporttest.RunScenarios(t, func(t *testing.T, caller, callee *ipfi.Interface) (*ipfi.Wire, func()) {
			w, _, pa, _ := pushPair(t, caller, callee)
			return w, func() { pa.End(errors.New("the line went quiet")) }
		})
	})
	t.Run("child stdio", func(t *testing.T) {
		transporttest.RunScenarios(t, func(t *testing.T, caller, _ *ipfi.Interface) (*ipfi.Wire, func()) {
			cmd := childCmd()
			cmd.Stderr = os.Stderr
			w, err := caller.ConnectCmd(cmd)
			must(t, err)
			return w, func() { _ = cmd.Process.Kill() }
		})
	})
}

// TestAdversarialEssentialsOverTCPAndTLS: the adversarial essentials
// (transporttest.RunAdversarial) against Serve, without and with TLS.
func TestAdversarialEssentialsOverTCPAndTLS(t *testing.T) {
	t.Run("tcp", func(t *testing.T) {
		transporttest.RunAdversarial(t, func(t *testing.T, i *ipfi.Interface) func(context.Context) (io.ReadWriteCloser, error) {
			addr, _ := serveLoopback(t, i)
			return func(ctx context.Context) (io.ReadWriteCloser, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", addr)
			}
		})
	})
	t.Run("tls", func(t *testing.T) {
		transporttest.RunAdversarial(t, func(t *testing.T, i *ipfi.Interface) func(context.Context) (io.ReadWriteCloser, error) {
			server, client := loopbackTLS(t)
			addr, _ := serveLoopback(t, i, ipfi.WithTLS(server))
			return func(ctx context.Context) (io.ReadWriteCloser, error) {
				d := tls.Dialer{Config: client}
				return d.DialContext(ctx, "tcp", addr)
			}
		})
	})
}

// tlsPair is a Pair over TLS: the callee serves with WithTLS, the caller
// dials with it; cut closes the server's side of the TCP connection under
// TLS.
func tlsPair(t *testing.T, caller, callee *ipfi.Interface) (*ipfi.Wire, func()) {
	server, client := loopbackTLS(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	accepted := make(chan net.Conn, 1)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- callee.Serve(ctx, &oneConnListener{Listener: l, accepted: accepted}, ipfi.WithTLS(server))
	}()
	t.Cleanup(func() { cancel(); <-served })
	w, err := caller.Dial(bounded(t, 10*time.Second), "tcp", l.Addr().String(), ipfi.WithTLS(client))
	must(t, err)
	raw := <-accepted
	return w, func() { raw.Close() }
}

// oneConnListener hands each connection it accepts to accepted too (which
// holds one), so that a test can cut it under the server's TLS.
type oneConnListener struct {
	net.Listener
	accepted chan net.Conn
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		select {
		case l.accepted <- c:
		default:
		}
	}
	return c, err
}

// loopbackTLS returns a server's TLS config for 127.0.0.1 and a client's
// that trusts it, from a certificate authority made for the test.
func loopbackTLS(t *testing.T) (server, client *tls.Config) {
	ca, err := ipfitest.NewCA()
	must(t, err)
	server, client, err = ca.Loopback()
	must(t, err)
	return server, client
}

// connPair returns both ends of a loopback connection of network (tcp or
// unix), closed as the test ends.
func connPair(t *testing.T, network string) (net.Conn, net.Conn) {
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "s")
	}
	l, err := net.Listen(network, addr)
	must(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	ca, err := net.Dial(network, l.Addr().String())
	must(t, err)
	cb := <-accepted
	if cb == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { ca.Close(); cb.Close() })
	return ca, cb
}
