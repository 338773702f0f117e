package cluster

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// nodeTransport is memberlist's NetTransport tied to the node: its dials
// end when the node stops (Join's ctx ends, or Shutdown), and the streams
// it dialed or accepted are closed then, so that no goroutine of
// memberlist's waits out TCPTimeout on a peer after Shutdown.
type nodeTransport struct {
	*memberlist.NetTransport
	ctx     context.Context // ended by stop: ends the dials
	cancel  context.CancelFunc
	streams chan net.Conn // the accepted streams, for memberlist (StreamCh)
	done    chan struct{} // closed once NetTransport has shut down
	once    sync.Once     // Shutdown's

	mu     sync.Mutex
	conns  map[*nodeConn]struct{} // the streams open
	closed bool                   // stopped: streams are closed as they come
}

// newNodeTransport binds c.BindAddr and c.BindPort as memberlist would:
// a few tries if BindPort is 0 (the port is free for TCP, not always for
// UDP), then c.BindPort and c.AdvertisePort become the port bound.
func newNodeTransport(c *memberlist.Config) (*nodeTransport, error) {
	nc := &memberlist.NetTransportConfig{
		BindAddrs: []string{c.BindAddr}, BindPort: c.BindPort, Logger: c.Logger, MetricLabels: c.MetricLabels,
	}
	tries := 1
	if c.BindPort == 0 {
		tries = 10
	}
	var nt *memberlist.NetTransport
	var err error
	for range tries {
		// NetTransport's error does not wrap the syscall's: memberlist
		// matches the text too.
		if nt, err = memberlist.NewNetTransport(nc); err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if c.BindPort == 0 {
		c.BindPort = nt.GetAutoBindPort()
		c.AdvertisePort = c.BindPort
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &nodeTransport{
		NetTransport: nt, ctx: ctx, cancel: cancel,
		streams: make(chan net.Conn), done: make(chan struct{}), conns: make(map[*nodeConn]struct{}),
	}
	go t.forward()
	return t, nil
}

// forward hands memberlist the streams NetTransport accepts, tracked,
// until NetTransport has shut down.
func (t *nodeTransport) forward() {
	for {
		select {
		case c := <-t.NetTransport.StreamCh():
			tc := t.track(c)
			if tc == nil {
				continue
			}
			select {
			case t.streams <- tc:
			case <-t.done:
				_ = tc.Close()
				return
			}
		case <-t.done:
			return
		}
	}
}

// StreamCh returns the accepted streams.
func (t *nodeTransport) StreamCh() <-chan net.Conn { return t.streams }

// DialTimeout dials a stream to addr.
func (t *nodeTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout dials a stream to a.Addr, for at most timeout, and
// until the node stops.
func (t *nodeTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(t.ctx, "tcp", a.Addr)
	if err != nil {
		return nil, err
	}
	if tc := t.track(c); tc != nil {
		return tc, nil
	}
	return nil, net.ErrClosed
}

// track returns c, tracked until it is closed; nil, c closed, if the
// transport has stopped.
func (t *nodeTransport) track(c net.Conn) *nodeConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		_ = c.Close()
		return nil
	}
	tc := &nodeConn{Conn: c, t: t}
	t.conns[tc] = struct{}{}
	return tc
}

// stop ends the dials and closes the streams, now and as they come.
func (t *nodeTransport) stop() {
	t.cancel()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for c := range t.conns {
		_ = c.Conn.Close()
	}
	clear(t.conns)
}

// Shutdown stops the transport, shuts NetTransport down (it returns once
// its listeners have ended), then ends forward. Idempotent.
func (t *nodeTransport) Shutdown() error {
	var err error
	t.once.Do(func() {
		t.stop()
		err = t.NetTransport.Shutdown()
		close(t.done)
	})
	return err
}

// nodeConn is a stream of a nodeTransport's, tracked while open.
type nodeConn struct {
	net.Conn
	t *nodeTransport
}

// Close closes the stream and stops tracking it.
func (c *nodeConn) Close() error {
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
	return c.Conn.Close()
}
