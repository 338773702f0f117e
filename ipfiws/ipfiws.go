package ipfiws

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"

	"github.com/coder/websocket"
	"github.com/ipfi-go/ipfi"
)

// MaxMessage is the largest WebSocket message, in bytes, a wire of this
// package reads and the most it writes in one: 1 MiB. The library writes
// no frame over 1 MiB, but one write of its may hold several frames; this
// package splits such a write into messages of at most MaxMessage bytes.
const MaxMessage = 1 << 20

// Handler returns an http.Handler that accepts WebSocket upgrades and makes
// each an accepted wire of i, with opts (wire options, as for Serve): the
// interface's Timeouts.Handshake and Timeouts.Idle apply to it
// (ipfi.WithAccepted) and the wire alone uses the connection
// (ipfi.WithExclusiveConn). The origin check is websocket's default: a
// browser request is accepted only from the same host (see
// HandlerWithOptions to allow others). A request that is not a WebSocket
// upgrade is answered with an HTTP error status and makes no wire: 426
// Upgrade Required for a plain request, 400, 403 or 405 for a malformed,
// cross-origin or non-GET upgrade.
//
// ServeHTTP returns once the wire is made; the wire goes on over the
// hijacked connection until either side closes it. A wire i refuses (it
// is closed, or opts are invalid: ipfi.WithTLS, for one, is refused) has
// its WebSocket closed with status 1011 (internal error), and ServeHTTP
// returns after that close handshake. Handler may serve many requests
// concurrently.
func Handler(i *ipfi.Interface, opts ...ipfi.Option) http.Handler {
	return HandlerWithOptions(i, nil, opts...)
}

// HandlerWithOptions is Handler with websocket's accept options: origin
// patterns, subprotocols, compression. A nil ws is websocket's defaults,
// as Handler uses. ws must not be modified after the call.
func HandlerWithOptions(i *ipfi.Interface, ws *websocket.AcceptOptions, opts ...ipfi.Option) http.Handler {
	opts = append(opts[:len(opts):len(opts)], ipfi.WithAccepted(), ipfi.WithExclusiveConn())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, ws)
		if err != nil {
			return // Accept has answered the request with an error status.
		}
		if _, err := connect(i, c, r.TLS, opts); err != nil {
			c.Close(websocket.StatusInternalError, "ipfi: wire refused")
		}
	})
}

// Dial opens a WebSocket to url (ws:// or wss://, served by Handler) and
// makes a wire of i over it, with opts (wire options, as for
// Interface.Dial). It blocks until the WebSocket handshake is done or ctx
// ends; ctx bounds only the dial, not the wire. wss:// uses
// http.DefaultClient's TLS settings; DialWithOptions takes others. A
// failed handshake is websocket's error (a refused upgrade wraps the
// HTTP status in its message).
func Dial(ctx context.Context, i *ipfi.Interface, url string, opts ...ipfi.Option) (*ipfi.Wire, error) {
	return DialWithOptions(ctx, i, url, nil, opts...)
}

// DialWithOptions is Dial with websocket's dial options: the HTTP client
// (and so its TLS configuration), headers, subprotocols. A nil ws is
// websocket's defaults, as Dial uses. ws is not modified.
func DialWithOptions(ctx context.Context, i *ipfi.Interface, url string, ws *websocket.DialOptions, opts ...ipfi.Option) (*ipfi.Wire, error) {
	c, resp, err := websocket.Dial(ctx, url, ws)
	if err != nil {
		return nil, err
	}
	opts = append(opts[:len(opts):len(opts)], ipfi.WithExclusiveConn())
	w, err := connect(i, c, resp.TLS, opts)
	if err != nil {
		c.CloseNow()
		return nil, err
	}
	return w, nil
}

// connect makes a wire of i over c, whose HTTP connection has the TLS
// state ts (nil without TLS). The net.Conn over c lives until the wire
// ends and closes it (messages.Close).
func connect(i *ipfi.Interface, c *websocket.Conn, ts *tls.ConnectionState, opts []ipfi.Option) (*ipfi.Wire, error) {
	ctx, cancel := context.WithCancel(context.Background())
	nc := websocket.NetConn(ctx, c, websocket.MessageBinary)
	c.SetReadLimit(MaxMessage) // after NetConn, which lifts the limit
	m := &messages{Conn: nc, ws: c, cancel: cancel, tls: ts}
	w, err := i.Connect(m, m, opts...)
	if err != nil {
		cancel() // the caller closes c: Handler with a status, Dial at once
		return nil, err
	}
	return w, nil
}

// messages is the net.Conn a wire is made over: a WebSocket whose writes go
// in messages of at most MaxMessage bytes and whose Close does not wait for
// the peer.
type messages struct {
	net.Conn
	ws      *websocket.Conn
	cancel  context.CancelFunc   // ends the net.Conn's context
	tls     *tls.ConnectionState // of the HTTP connection (wss://), nil without TLS
	writeMu sync.Mutex           // held by Write: one write's messages go together
	once    sync.Once
}

// Write writes p in messages of at most MaxMessage bytes, in order. It is
// safe to call concurrently: one call's messages are not interleaved with
// another's.
func (m *messages) Write(p []byte) (int, error) {
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	n := 0
	for len(p) > 0 {
		k, err := m.Conn.Write(p[:min(len(p), MaxMessage)])
		n += k
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// ConnectionState is the TLS state of the WebSocket's HTTP connection
// (wss://, or Handler served over TLS), for the wire's TLS method; the zero
// state (no handshake) without TLS.
func (m *messages) ConnectionState() tls.ConnectionState {
	if m.tls == nil {
		return tls.ConnectionState{}
	}
	return *m.tls
}

// Close closes the WebSocket's connection at once, without the close
// handshake (the wire closes its transport from goroutines that must not
// block on I/O, and its own Termination message has already said goodbye
// to a peer of this library): reads and writes in progress return. It is
// idempotent and safe to call concurrently.
func (m *messages) Close() error {
	m.once.Do(func() {
		_ = m.ws.CloseNow()
		m.cancel()
	})
	return nil
}
