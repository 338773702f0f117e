package ipfiws_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/ipfitest/transporttest"
	"github.com/ipfi-go/ipfi/ipfiws"
)

// serveWS serves i with Handler on an httptest server (TLS if tlsConf is
// not nil) until the test ends and returns its ws:// or wss:// URL.
func serveWS(t *testing.T, i *ipfi.Interface, tlsConf *tls.Config) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(ipfiws.Handler(i))
	if tlsConf != nil {
		srv.TLS = tlsConf
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// dialOptions are websocket's dial options with tlsConf, and conns, which
// receives each TCP connection the dial makes (for a test to cut it).
func dialOptions(tlsConf *tls.Config, conns chan<- net.Conn) *websocket.DialOptions {
	var d net.Dialer
	return &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{
		TLSClientConfig: tlsConf,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err == nil && conns != nil {
				conns <- c
			}
			return c, err
		},
	}}}
}

// wsPair is a Pair over WebSocket (wss:// when tlsConf is given): the
// callee serves with Handler, the caller dials; cut closes the caller's
// TCP connection under the WebSocket.
func wsPair(server, client *tls.Config) transporttest.Pair {
	return func(t *testing.T, caller, callee *ipfi.Interface) (*ipfi.Wire, func()) {
		url := serveWS(t, callee, server)
		conns := make(chan net.Conn, 1)
		w, err := ipfiws.DialWithOptions(bounded(t), caller, url, dialOptions(client, conns))
		must(t, err)
		c := <-conns
		return w, func() { c.Close() }
	}
}

// wsServer is a Server over WebSocket: its raw connections are WebSockets
// read and written as byte streams.
func wsServer(server, client *tls.Config) transporttest.Server {
	return func(t *testing.T, i *ipfi.Interface) func(context.Context) (io.ReadWriteCloser, error) {
		url := serveWS(t, i, server)
		return func(ctx context.Context) (io.ReadWriteCloser, error) {
			c, _, err := websocket.Dial(ctx, url, dialOptions(client, nil))
			if err != nil {
				return nil, err
			}
			c.SetReadLimit(-1)
			return rawWS{Conn: websocket.NetConn(context.Background(), c, websocket.MessageBinary), ws: c}, nil
		}
	}
}

// rawWS is a WebSocket as a byte stream whose Close does not wait for the
// peer's close message.
type rawWS struct {
	net.Conn
	ws *websocket.Conn
}

func (r rawWS) Close() error { return r.ws.CloseNow() }

func loopbackTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	ca, err := ipfitest.NewCA()
	must(t, err)
	server, client, err = ca.Loopback()
	must(t, err)
	return server, client
}

// TestMainScenariosOverWebSocket: the main scenarios over ws:// and wss://.
func TestMainScenariosOverWebSocket(t *testing.T) {
	t.Run("ws", func(t *testing.T) { transporttest.RunScenarios(t, wsPair(nil, nil)) })
	t.Run("wss", func(t *testing.T) { transporttest.RunScenarios(t, wsPair(loopbackTLS(t))) })
}

// TestAdversarialEssentialsOverWebSocket: the adversarial essentials
// against Handler, over ws:// and wss://.
func TestAdversarialEssentialsOverWebSocket(t *testing.T) {
	t.Run("ws", func(t *testing.T) { transporttest.RunAdversarial(t, wsServer(nil, nil)) })
	t.Run("wss", func(t *testing.T) { transporttest.RunAdversarial(t, wsServer(loopbackTLS(t))) })
}

// TestWireTLSOverWSS: over wss://, both wires' TLS is the HTTP
// connection's state (the client's verified chain reaches the server's
// procedures); over ws:// it is nil.
func TestWireTLSOverWSS(t *testing.T) {
	ca, err := ipfitest.NewCA()
	must(t, err)
	cert, err := ca.Issue("127.0.0.1")
	must(t, err)
	alice, err := ca.Issue("alice")
	must(t, err)
	server := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool}
	client := &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{alice}}

	callee := newInterface(t)
	peer := ipfi.Proc0[string]{Index: 1}
	must(t, peer.Register(callee, func(ctx context.Context) (string, error) {
		s := ipfi.WireFrom(ctx).TLS()
		if s == nil || len(s.VerifiedChains) == 0 {
			return "no verified client", nil
		}
		return s.VerifiedChains[0][0].Subject.CommonName, nil
	}))
	w, err := ipfiws.DialWithOptions(bounded(t), newInterface(t), serveWS(t, callee, server), dialOptions(client, nil))
	must(t, err)
	if s := w.TLS(); s == nil || s.PeerCertificates[0].IPAddresses[0].String() != "127.0.0.1" {
		t.Fatalf("the client's wire TLS = %v, want the server's certificate for 127.0.0.1", s)
	}
	if got, err := peer.Call(bounded(t), w); err != nil || got != "alice" {
		t.Fatalf("the server's procedure saw %q, %v; want alice", got, err)
	}

	w, err = ipfiws.Dial(bounded(t), newInterface(t), serveWS(t, callee, nil))
	must(t, err)
	if w.TLS() != nil {
		t.Fatalf("over ws:// the wire's TLS = %v, want nil", w.TLS())
	}
	if got, err := peer.Call(bounded(t), w); err != nil || got != "no verified client" {
		t.Fatalf("the server's procedure saw %q, %v; want no verified client", got, err)
	}
}
