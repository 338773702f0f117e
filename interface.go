package ipfi

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfi-go/ipfi/actors"
	"github.com/ipfi-go/ipfi/procedures"
)

// Interface is one program's side of IPFI: the procedures it serves and the
// wires it has to other programs. One interface serves any number of wires;
// its methods are safe for concurrent use.
type Interface struct {
	sys       *actors.System
	logger    *slog.Logger  // nil: nothing is logged
	handshake time.Duration // bounds a TLS handshake (WithTLS); 0: off
	timeouts  Timeouts      // WithTimeouts, with defaults (Timeouts)

	mu       sync.Mutex
	closing  chan struct{}
	closed   bool
	drain    chan struct{} // closed by Shutdown
	draining bool
	stopping chan struct{} // closed by the first of Shutdown and Close
	// The wires up, for Snapshot and the wire hooks (Interceptor).
	wiresMu sync.Mutex
	wires   map[*Wire]struct{}
	nextID  atomic.Uint64
	opened  []func(*Wire)
	ended   []func(*Wire, error)
	client  *clientChains // nil: none
	// procs counts the goroutines that watch child processes (ConnectCmd):
	// Close waits for them, so that no child outlives the interface.
	procs   sync.WaitGroup
	serving sync.WaitGroup
}

// New returns an interface with no procedures and no wires, configured by
// opts (each option's comment states its default). An option it cannot use,
// such as a negative limit or one that configures a wire, is an error
// matching ErrInvalidOption, never silently replaced by its default. New
// starts no goroutine and prints nothing.
func New(opts ...Option) (*Interface, error) {
	c, err := interfaceConfig(opts)
	if err != nil {
		return nil, err
	}
	i := &Interface{
		logger: c.logger, handshake: handshakeTimeout(c.timeouts), timeouts: c.timeouts.WithDefaults(), closing: make(chan struct{}), drain: make(chan struct{}), stopping: make(chan struct{}),
		wires: make(map[*Wire]struct{}), opened: c.opened, ended: c.ended,
	}
	ac := c.actorsConfig()
	ac.WireEnded = i.wireEnded
	ac.Intercept = serverChain(c.server)
	client := c.client // its own copy: the wires share it
	i.client = client.orNil()
	i.sys = actors.NewSystem(ac)
	return i, nil
}

// Stopping returns a channel closed as the interface stops taking wires:
// when Shutdown or Close begins (Connect then fails with ErrShutdown or
// ErrClosed). An accept loop of the program's own (package ipfiquic's
// Serve) stops accepting then, as Serve does.
func (i *Interface) Stopping() <-chan struct{} { return i.stopping }

// Timeouts returns the interface's timeouts (WithTimeouts) with every zero
// field replaced by its default; a negative field (off) stays negative. A
// transport of the program's own reads them to bound its handshakes and
// silences as the interface's wires are bounded (package ipfiquic does).
func (i *Interface) Timeouts() Timeouts { return i.timeouts }

// Register makes p callable by peers at index idx, on every wire, present
// and future. It fails if idx is taken, and with ErrClosed once the
// interface is closed.
func (i *Interface) Register(idx procedures.Index, p procedures.Procedure) error {
	i.mu.Lock()
	closed := i.closed
	i.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return i.sys.Registry().Register(idx, p)
}

// Connect makes a wire over an ordered byte stream: bytes from the peer are
// read from r, bytes to it written to w; for a connection (a net.Conn, a
// Unix socket, anything that reads and writes) pass it as both,
// Connect(c, c). If r or w implements io.Closer it is closed (once) when
// the wire ends; closing r must make a blocked Read return (as
// it does for net.Conn, io.Pipe and the ends of os.Pipe, but not for
// os.Stdin or a terminal: use ConnectStdio for the process's own stdio,
// ConnectCmd for a child's). A reader that cannot be unblocked keeps its
// goroutine, and the interface's Close, waiting until its Read returns.
// If r or w has a method ConnectionState() tls.ConnectionState (a
// *tls.Conn, a QUIC stream of package ipfiquic) the wire's TLS method
// returns that state. A w that can write without blocking (a socket, a
// pipe in non-blocking mode, or one with the methods of
// actors.NonBlockingWriter, as ipfiquic's streams have) is written by the
// goroutines that have something to write; any other by a caller whose
// context cannot end, and otherwise by a goroutine the wire starts for
// the purpose (a goroutine hand-off per write).
func (i *Interface) Connect(r io.Reader, w io.Writer, opts ...Option) (*Wire, error) {
	var cl closers
	if c, ok := r.(io.Closer); ok {
		cl = append(cl, c)
	}
	if c, ok := w.(io.Closer); ok && any(w) != any(r) {
		cl = append(cl, c)
	}
	var closer io.Closer
	if len(cl) > 0 {
		closer = cl
	}
	return i.connect(r, w, closer, opts)
}

func (i *Interface) connect(r io.Reader, w io.Writer, c io.Closer, opts []Option) (*Wire, error) {
	wc, err := wireSettings(opts)
	if err != nil {
		return nil, err
	}
	pub := &Wire{id: i.nextID.Add(1), remote: remoteAddr(r, c), client: i.client, tls: tlsOf(r, w)}
	// The handle is linked to its wire before the wire reads anything: a
	// procedure may reach it (WireFrom) as soon as the first call arrives.
	o := actors.WireOptions{
		Name:       pub.logName,
		CalleeOnly: wc.calleeOnly,
		Plain:      wc.plain,
		Accepted:   wc.accepted,
		Dialed:     wc.dialed,
		Push:       wc.push,
		Exclusive:  wc.exclusive,
		Owner:      pub,
		Bind:       func(aw *actors.Conn) { pub.w = aw },
	}
	i.wiresMu.Lock()
	i.wires[pub] = struct{}{}
	i.wiresMu.Unlock()
	if _, err := i.sys.Connect(r, w, c, o); err != nil {
		i.wiresMu.Lock()
		delete(i.wires, pub)
		i.wiresMu.Unlock()
		return nil, err
	}
	for _, f := range i.opened {
		f(pub)
	}
	return pub, nil
}

// remoteAddr is the peer's address of a transport that has one.
func remoteAddr(parts ...any) net.Addr {
	for _, p := range parts {
		if a, ok := p.(interface{ RemoteAddr() net.Addr }); ok {
			return a.RemoteAddr()
		}
	}
	return nil
}

// wireEnded is told by the actor system that a wire has ended.
func (i *Interface) wireEnded(c *actors.Conn) {
	w, _ := c.Owner().(*Wire)
	if w == nil {
		return
	}
	i.wiresMu.Lock()
	delete(i.wires, w)
	i.wiresMu.Unlock()
	if len(i.ended) > 0 {
		err := c.Err()
		for _, f := range i.ended {
			f(w, err)
		}
	}
}

// wiresUp returns the interface's wires that are up (or ending), in the
// order they were made.
func (i *Interface) wiresUp() []*Wire {
	i.wiresMu.Lock()
	out := make([]*Wire, 0, len(i.wires))
	for w := range i.wires {
		out = append(out, w)
	}
	i.wiresMu.Unlock()
	slices.SortFunc(out, func(a, b *Wire) int { return cmp.Compare(a.id, b.id) })
	return out
}

// Dial connects to addr on the named network (as net.Dialer.DialContext)
// and makes a wire over the connection. With WithTLS it first runs the TLS
// client handshake, bounded by ctx and Timeouts.Handshake: its failure is
// an error matching ErrTLSHandshake.
func (i *Interface) Dial(ctx context.Context, network, addr string, opts ...Option) (*Wire, error) {
	opts = append(opts[:len(opts):len(opts)], WithExclusiveConn(), tlsHere(), dialed())
	wc, err := wireSettings(opts)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if wc.tls != nil {
		if c, err = i.clientTLS(ctx, c, addr, wc.tls); err != nil {
			return nil, err
		}
	}
	w, err := i.Connect(c, c, opts...)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return w, nil
}

// Serve accepts connections on l and makes a wire of each, until ctx is
// done (it then returns ctx's error), the interface is closed (ErrClosed)
// or Accept fails for good (that error). A temporary Accept error, such as
// too many open files, is retried after a pause that doubles from 5 ms up
// to 1 s while the errors last, as net/http's Server does. It closes l
// before returning. Wires already made stay up: close them, or the
// interface.
//
// Its wires are accepted (WithAccepted): the interface's handshake and idle timeouts
// apply to them. A connection beyond Limits.MaxWires is closed as soon as
// it is accepted (and logged, with WithLogger).
//
// With WithTLS, each connection first runs the TLS server handshake, on a
// goroutine of its own (Accept goes on meanwhile), bounded by
// Timeouts.Handshake: a connection whose handshake fails, or is not
// finished when Serve returns, is closed (a failure logged with
// WithLogger), and one beyond Limits.MaxWires is closed once its
// handshake has finished. Serve waits for those goroutines before it
// returns.
func (i *Interface) Serve(ctx context.Context, l net.Listener, opts ...Option) error {
	opts = append(opts[:len(opts):len(opts)], WithAccepted(), WithExclusiveConn(), tlsHere())
	wc, err := wireSettings(opts)
	if err != nil {
		_ = l.Close()
		return err
	}
	i.mu.Lock()
	if i.closed {
		i.mu.Unlock()
		_ = l.Close()
		return ErrClosed
	}
	i.serving.Add(1)
	i.mu.Unlock()
	defer i.serving.Done()

	stop := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		select {
		case <-ctx.Done():
		case <-i.closing:
		case <-i.drain:
		case <-stop:
		}
		_ = l.Close()
	}()
	defer func() { close(stop); <-watcher }()
	// The TLS handshakes in flight: ended and waited for as Serve returns.
	var handshakes sync.WaitGroup
	hctx, endHandshakes := context.WithCancel(ctx)
	defer func() { endHandshakes(); handshakes.Wait() }()

	var pause time.Duration // the wait before the next Accept after a temporary error
	for {
		c, err := l.Accept()
		if err != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-i.closing:
				return ErrClosed
			case <-i.drain:
				return ErrShutdown
			default:
			}
			if !temporary(err) {
				return err
			}
			pause = min(max(2*pause, minAcceptPause), maxAcceptPause)
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-i.closing:
				t.Stop()
				return ErrClosed
			case <-i.drain:
				t.Stop()
				return ErrShutdown
			}
			continue
		}
		pause = 0
		if wc.tls != nil {
			handshakes.Add(1)
			go func() {
				defer handshakes.Done()
				i.serveTLS(hctx, c, wc.tls, opts)
			}()
			continue
		}
		if _, err := i.Connect(c, c, opts...); err != nil {
			if errors.Is(err, ErrClosed) || errors.Is(err, ErrShutdown) {
				_ = c.Close()
				return err
			}
			if i.logger != nil {
				i.logger.Warn("ipfi: connection refused", "remote", c.RemoteAddr().String(), "err", err)
			}
			_ = c.Close()
		}
	}
}

// The pause Serve makes after a temporary Accept error: it doubles from
// minAcceptPause up to maxAcceptPause while the errors last.
const (
	minAcceptPause = 5 * time.Millisecond
	maxAcceptPause = time.Second
)

// temporary reports whether an Accept error may pass (too many open files,
// a connection aborted before it was accepted), as net/http judges it.
func temporary(err error) bool {
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

// Close ends every wire (each peer is sent a Termination message first),
// stops every Serve, and returns once every goroutine the interface started
// has ended, including procedures still running: their contexts are
// cancelled, and Close waits for them to return, at most Timeouts.Stop.
// Past it, Close logs and returns an error matching ErrStopTimeout that
// says how many goroutines are left: procedures that ignore their
// contexts, which Go cannot stop. It is the hard stop (see Shutdown for
// the graceful one), idempotent and safe to call concurrently; only the
// first call reports ErrStopTimeout.
func (i *Interface) Close() error {
	i.mu.Lock()
	if !i.closed {
		i.closed = true
		close(i.closing)
		if !i.draining {
			close(i.stopping)
		}
	}
	i.mu.Unlock()
	i.serving.Wait()
	err := i.sys.Close()
	i.procs.Wait()
	return err
}

// Shutdown stops the interface gracefully: it stops accepting (every
// Serve returns ErrShutdown and closes its listener; Connect fails with
// ErrShutdown), has every wire refuse new calls from its peer (a peer of
// this library is told, and its new calls fail at once with ErrShutdown;
// a call that arrives anyway is refused without running, with an error
// matching ErrShutdown), lets the calls already open on every wire, both
// ways, and their streams finish, then closes the interface (Close). If
// ctx ends first, it closes all the same and returns ctx's cause; else it
// returns what Close returns.
//
// A peer's call refused with ErrShutdown did not run, so it is safe to
// make again: on another wire (another server), or later with a backoff
// between attempts, on a new wire once this side is back (Supervise
// redials with one). Retrying in a tight loop only spins: every attempt
// on the wire fails at once until it ends.
func (i *Interface) Shutdown(ctx context.Context) error {
	i.mu.Lock()
	if !i.draining && !i.closed {
		i.draining = true
		close(i.drain)
		close(i.stopping)
	}
	i.mu.Unlock()
	i.serving.Wait()
	err := i.sys.Drain(ctx)
	if cerr := i.Close(); err == nil {
		err = cerr
	}
	return err
}

// closers closes several things, keeping the first error.
type closers []io.Closer

func (cs closers) Close() error {
	var first error
	for _, c := range cs {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
