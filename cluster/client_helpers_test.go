package cluster

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
)

// The test servers' procedures.
var (
	whoAmI = ipfi.Proc0[string]{Index: 1, Idempotent: true} // the server's name
	bump   = ipfi.Proc0[string]{Index: 2}                   // counts a run, then blocks until released; the server's name
)

// testServer is an IPFI server on loopback that counts the calls it runs.
type testServer struct {
	name    string
	i       *ipfi.Interface
	addr    string
	runs    atomic.Int64
	release chan struct{} // bump returns once it is closed
	served  chan error
	stop    context.CancelFunc
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func bounded(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// startServer starts a test server named name, stopped as the test ends.
func startServer(t testing.TB, name string, released bool) *testServer {
	t.Helper()
	i, err := ipfi.New()
	must(t, err)
	s := &testServer{name: name, i: i, release: make(chan struct{}), served: make(chan error, 1)}
	if released {
		close(s.release)
	}
	must(t, whoAmI.Register(i, func(context.Context) (string, error) {
		s.runs.Add(1)
		return name, nil
	}))
	must(t, bump.Register(i, func(ctx context.Context) (string, error) {
		s.runs.Add(1)
		select {
		case <-s.release:
			return name, nil
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	s.addr = l.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go func() { s.served <- i.Serve(ctx, l) }()
	t.Cleanup(s.kill)
	return s
}

// member is the server as a resolver reports it.
func (s *testServer) member() Member {
	return Member{ID: s.name, Network: "tcp", Addr: s.addr}
}

// kill closes the server's interface: its wires end, its calls fail.
// Idempotent.
func (s *testServer) kill() {
	s.stop()
	s.i.Close()
	select {
	case <-s.served:
	default:
	}
}

// pushResolver is a Resolver whose members a test sets.
type pushResolver struct {
	mu      sync.Mutex
	members []Member
	changed chan struct{}
}

func newPushResolver(ms ...Member) *pushResolver {
	return &pushResolver{members: ms, changed: make(chan struct{})}
}

func (r *pushResolver) set(ms ...Member) {
	r.mu.Lock()
	r.members = ms
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func (r *pushResolver) Watch(ctx context.Context, update func([]Member)) error {
	for {
		r.mu.Lock()
		ms, changed := append([]Member(nil), r.members...), r.changed
		r.mu.Unlock()
		update(ms)
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// newClient returns a client of r, closed as the test ends.
func newClient(t testing.TB, r Resolver, edit func(*ClientConfig)) *Client {
	t.Helper()
	i, err := ipfi.New()
	must(t, err)
	cfg := ClientConfig{Interface: i, Resolver: r, Health: Health{Period: 50 * time.Millisecond, Timeout: 200 * time.Millisecond}}
	if edit != nil {
		edit(&cfg)
	}
	c, err := NewClient(cfg)
	must(t, err)
	t.Cleanup(func() {
		must(t, c.Close())
		i.Close()
	})
	return c
}

// waitUp waits until the client has n members up.
func waitUp(t testing.TB, c *Client, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		up := 0
		for _, m := range c.list {
			if m.ready() {
				up++
			}
		}
		changed := c.changed
		c.mu.Unlock()
		if up >= n {
			return
		}
		select {
		case <-changed:
		case <-time.After(20 * time.Millisecond): // health changes do not always poke
		}
	}
	t.Fatalf("fewer than %d members up after 5 s", n)
}

// proxy is a loopback TCP proxy to a server that can stop forwarding (a
// partition: bytes are held, not refused) and resume.
type proxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	gate   chan struct{} // closed while forwarding
	conns  []net.Conn
	closed bool
	wg     sync.WaitGroup
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	p := &proxy{l: l, target: target, gate: make(chan struct{})}
	close(p.gate)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

// partition stops forwarding; heal resumes it.
func (p *proxy) partition() {
	p.mu.Lock()
	p.gate = make(chan struct{})
	p.mu.Unlock()
}

func (p *proxy) heal() {
	p.mu.Lock()
	close(p.gate)
	p.mu.Unlock()
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			s.Close()
			return
		}
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

// pipe copies from src to dst, holding each chunk while partitioned.
func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			gate := p.gate
			p.mu.Unlock()
			<-gate
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

// close stops the proxy and its connections (healing first so no copy
// waits at the gate).
func (p *proxy) close() {
	p.l.Close()
	p.mu.Lock()
	p.closed = true
	select {
	case <-p.gate:
	default:
		close(p.gate)
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
