package ipfiquic

import (
	"context"
	"crypto/tls"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/quic-go/quic-go"
)

// NextProto is the ALPN protocol of IPFI over QUIC. Dial and Listen add it
// to a tls.Config whose NextProtos is empty.
const NextProto = "ipfi"

// Config returns the QUIC configuration for i's connections: a copy of
// base (nil: quic-go's defaults) whose zero timers are set from
// i.Timeouts() (see the package documentation): HandshakeIdleTimeout from
// Handshake, KeepAlivePeriod from KeepaliveInterval, MaxIdleTimeout from
// KeepaliveInterval plus KeepaliveTimeout. A timeout turned off (negative)
// leaves quic-go's default in place (KeepAlivePeriod: none).
func Config(i *ipfi.Interface, base *quic.Config) *quic.Config {
	c := &quic.Config{}
	if base != nil {
		c = base.Clone()
	}
	t := i.Timeouts()
	if c.HandshakeIdleTimeout == 0 && t.Handshake > 0 {
		c.HandshakeIdleTimeout = t.Handshake
	}
	if t.KeepaliveInterval > 0 {
		if c.KeepAlivePeriod == 0 {
			c.KeepAlivePeriod = t.KeepaliveInterval
		}
		if c.MaxIdleTimeout == 0 && t.KeepaliveTimeout > 0 {
			c.MaxIdleTimeout = t.KeepaliveInterval + t.KeepaliveTimeout
		}
	}
	return c
}

// withALPN returns cfg, or a copy of it with NextProto when it names no
// protocol.
func withALPN(cfg *tls.Config) *tls.Config {
	if cfg == nil || len(cfg.NextProtos) > 0 {
		return cfg
	}
	cfg = cfg.Clone()
	cfg.NextProtos = []string{NextProto}
	return cfg
}

// Dial opens a QUIC connection to addr (host:port, UDP) for i's wires and
// returns it once its handshake is done, or ctx ends (ctx bounds only the
// dial). tlsConf must be given: QUIC always speaks TLS 1.3; its ServerName
// defaults to addr's host. base is QUIC's configuration (nil: quic-go's
// defaults), timers from i's Timeouts (Config). opts are the wire options
// of every wire on the connection, opened (Conn.Open) or accepted. Open
// wires with Conn.Open; Conn.Close closes the connection.
func Dial(ctx context.Context, i *ipfi.Interface, addr string, tlsConf *tls.Config, base *quic.Config, opts ...ipfi.Option) (*Conn, error) {
	if tlsConf == nil {
		return nil, errors.New("ipfiquic: Dial needs a tls.Config: QUIC always speaks TLS")
	}
	qc, err := quic.DialAddr(ctx, addr, withALPN(tlsConf), Config(i, base))
	if err != nil {
		return nil, err
	}
	select {
	case <-i.Stopping():
		_ = qc.CloseWithError(CodeClosed, "ipfi: interface closed")
		return nil, ipfi.ErrClosed
	default:
	}
	return newConn(qc.Context(), i, qc, false, slices.Clip(opts)), nil
}

// Listen listens for QUIC connections on addr (host:port, UDP) for Serve:
// tlsConf (with the server's certificate) gets NextProto if it names no
// protocol, base is QUIC's configuration with timers from i's Timeouts
// (Config). Closing the listener closes every connection it accepted.
func Listen(i *ipfi.Interface, addr string, tlsConf *tls.Config, base *quic.Config) (*quic.Listener, error) {
	if tlsConf == nil {
		return nil, errors.New("ipfiquic: Listen needs a tls.Config with the server's certificate: QUIC always speaks TLS")
	}
	return quic.ListenAddr(addr, withALPN(tlsConf), Config(i, base))
}

// Serve accepts QUIC connections on l and makes a wire of i of every
// stream their clients open, with opts (wire options) and as accepted
// wires (ipfi.WithAccepted: i's Timeouts.Handshake and Timeouts.Idle
// apply to each). A connection that opens no stream within
// Timeouts.Handshake of being accepted, or has had no wire for
// Timeouts.Idle, is closed (CodeNoWire).
//
// Serve blocks until ctx ends, l fails or i stops taking wires (Shutdown,
// Close). When ctx ends or l fails it closes l, which closes every
// connection l accepted (their wires end), and returns ctx's error or
// l's. When i stops it stops accepting, waits for every wire to end
// (Shutdown lets their calls finish; Close ends them), closes each
// connection Timeouts.CloseGrace after its last wire ends (time for that
// wire's last messages to arrive: closing a QUIC connection drops what its
// streams have not delivered), then l, and returns ipfi.ErrClosed.
func Serve(ctx context.Context, i *ipfi.Interface, l *quic.Listener, opts ...ipfi.Option) error {
	opts = append(slices.Clip(opts), ipfi.WithAccepted())
	actx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-i.Stopping():
		case <-actx.Done():
		}
		stop()
	}()
	var (
		mu    sync.Mutex
		conns = map[*Conn]struct{}{} // up; a connection leaves as it ends
		err   error
	)
	for {
		var qc *quic.Conn
		qc, err = l.Accept(actx)
		if err != nil {
			break
		}
		c := newConn(actx, i, qc, true, opts)
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		context.AfterFunc(qc.Context(), func() {
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		})
	}
	mu.Lock()
	left := slices.Collect(maps.Keys(conns))
	mu.Unlock()
	select {
	case <-i.Stopping():
		for _, c := range left {
			<-c.Done() // closeWith closes it as its last wire ends
		}
		err = ipfi.ErrClosed
	default:
		if ctx.Err() != nil {
			err = ctx.Err()
		}
	}
	closeQueued(l)
	_ = l.Close()
	for _, c := range left {
		<-c.loop
	}
	return err
}

// queuedWait is how long closeQueued waits for the next connection l holds.
const queuedWait = 20 * time.Millisecond

// closeQueued takes the connections whose handshake has finished but that
// Serve has not accepted, and closes each (CodeClosed), so that their
// clients learn at once that the server is gone: closing the listener
// with them queued may drop them without a word, and a client would then
// wait for QUIC's idle timeout.
func closeQueued(l *quic.Listener) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), queuedWait)
		qc, err := l.Accept(ctx)
		cancel()
		if err != nil {
			return
		}
		_ = qc.CloseWithError(CodeClosed, "ipfi: server closed")
	}
}
