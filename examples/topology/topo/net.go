// Package topo holds what the topology examples (star, mesh, ring, tree)
// share: their common flags, peers (one ipfi.Interface each) linked by wires
// over net.Pipe or loopback TCP, killing a peer midway, recording calls and
// printing the summary.
package topo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/ipfi-go/ipfi"
)

// NoKill is Config.Kill when no peer is killed.
const NoKill = -1

// Config is what the flags common to every example set.
type Config struct {
	// N is the number of peers.
	N int
	// Calls is how many calls the example makes (per caller or per pair,
	// as the example's usage says).
	Calls int
	// TCP links peers over loopback TCP instead of net.Pipe.
	TCP bool
	// Kill is the peer killed once half of the calls are done, or NoKill.
	Kill int
	// Timeout bounds the whole run.
	Timeout time.Duration
	// CallTimeout bounds each call.
	CallTimeout time.Duration
}

// Transport names the transport the config links peers over.
func (c *Config) Transport() string {
	if c.TCP {
		return "tcp"
	}
	return "pipe"
}

// KillAt is the call (or round) number before which the kill happens: the
// calls numbered below it run before the kill, the others after. It is
// Calls when no peer is killed.
func (c *Config) KillAt() int {
	if c.Kill == NoKill {
		return c.Calls
	}
	return c.Calls / 2
}

// AfterKill reports whether call (or round) seq runs after the kill.
func (c *Config) AfterKill(seq int) bool { return c.Kill != NoKill && seq >= c.KillAt() }

// Flags returns a flag set with the common flags, bound to the returned
// Config, with the given defaults; usage and errors go to out. The example
// adds its own flags, then calls Parse.
func Flags(name string, out io.Writer, defN, defCalls int) (*flag.FlagSet, *Config) {
	c := &Config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&c.N, "n", defN, "number of peers")
	fs.IntVar(&c.Calls, "calls", defCalls, "number of calls (see the example's usage)")
	fs.BoolVar(&c.TCP, "tcp", false, "link peers over loopback TCP instead of net.Pipe")
	fs.IntVar(&c.Kill, "kill", NoKill, "kill this peer (close its interface) once half of the calls are done; -1: none")
	fs.DurationVar(&c.Timeout, "timeout", 2*time.Minute, "bound on the whole run")
	fs.DurationVar(&c.CallTimeout, "call-timeout", 20*time.Second, "bound on each call")
	return fs, c
}

// Parse parses args into fs and checks the common flags: at least minN
// peers, at most 4096, at least one call, a killed peer that exists.
func Parse(fs *flag.FlagSet, c *Config, args []string, minN int) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return c.Check(minN)
}

// Check checks the common settings (see Parse).
func (c *Config) Check(minN int) error {
	switch {
	case c.N < minN || c.N > 4096:
		return fmt.Errorf("-n %d: want %d to 4096 peers", c.N, minN)
	case c.Calls < 1 || c.Calls > 1_000_000:
		return fmt.Errorf("-calls %d: want 1 to 1000000", c.Calls)
	case c.Kill != NoKill && (c.Kill < 0 || c.Kill >= c.N):
		return fmt.Errorf("-kill %d: no such peer (peers are 0 to %d)", c.Kill, c.N-1)
	case c.Timeout <= 0 || c.CallTimeout <= 0:
		return errors.New("-timeout and -call-timeout must be positive")
	}
	return nil
}

// Entry is the ID of the entry peer, the caller outside the topology that
// the ring and tree examples make their calls from.
const Entry = -1

// Peer is one program of the topology: an interface of its own.
type Peer struct {
	ID    int
	Iface *ipfi.Interface
}

// link is one wire between two peers: A's end and B's end.
type link struct {
	a, b   *Peer
	wa, wb *ipfi.Wire
}

// Net is a set of peers and the wires between them.
type Net struct {
	cfg   *Config
	Peers []*Peer
	// entry is the peer made by NewEntry, if any.
	entry *Peer

	mu    sync.Mutex
	ln    net.Listener // with -tcp, the listener every link's connection comes through
	links []link
}

// NewNet makes cfg.N peers, linked by nothing yet. Close ends them.
func NewNet(cfg *Config) (*Net, error) {
	nt := &Net{cfg: cfg}
	if cfg.TCP {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		nt.ln = ln
	}
	for i := range cfg.N {
		p, err := newPeer(i)
		if err != nil {
			nt.Close()
			return nil, err
		}
		nt.Peers = append(nt.Peers, p)
	}
	return nt, nil
}

// newPeer makes a peer with a fresh interface.
func newPeer(id int) (*Peer, error) {
	i, err := ipfi.New()
	if err != nil {
		return nil, fmt.Errorf("peer %d: %w", id, err)
	}
	return &Peer{ID: id, Iface: i}, nil
}

// NewEntry makes the entry peer (ID Entry), closed by Close with the others.
func (nt *Net) NewEntry() (*Peer, error) {
	p, err := newPeer(Entry)
	if err != nil {
		return nil, err
	}
	nt.mu.Lock()
	nt.entry = p
	nt.mu.Unlock()
	return p, nil
}

// Link makes a wire between a and b and returns a's end and b's end. Over
// TCP a dials and b accepts.
func (nt *Net) Link(ctx context.Context, a, b *Peer) (wa, wb *ipfi.Wire, err error) {
	ca, cb, err := nt.conns(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("link %d-%d: %w", a.ID, b.ID, err)
	}
	if wa, err = a.Iface.Connect(ca, ca); err != nil {
		ca.Close()
		cb.Close()
		return nil, nil, fmt.Errorf("link %d-%d: %w", a.ID, b.ID, err)
	}
	if wb, err = b.Iface.Connect(cb, cb); err != nil {
		wa.Close()
		cb.Close()
		return nil, nil, fmt.Errorf("link %d-%d: %w", a.ID, b.ID, err)
	}
	nt.mu.Lock()
	nt.links = append(nt.links, link{a, b, wa, wb})
	nt.mu.Unlock()
	return wa, wb, nil
}

// conns returns the two ends of a new connection.
func (nt *Net) conns(ctx context.Context) (net.Conn, net.Conn, error) {
	if nt.ln == nil {
		ca, cb := net.Pipe()
		return ca, cb, nil
	}
	// One link at a time: the connection accepted is the one just dialled
	// (a loopback dial completes in the listener's backlog, before Accept).
	nt.mu.Lock()
	defer nt.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var d net.Dialer
	ca, err := d.DialContext(dctx, "tcp", nt.ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	if tl, ok := nt.ln.(*net.TCPListener); ok {
		tl.SetDeadline(time.Now().Add(5 * time.Second))
	}
	cb, err := nt.ln.Accept()
	if err != nil {
		ca.Close()
		return nil, nil, err
	}
	return ca, cb, nil
}

// Wires returns how many wires link the peers (the entry's included).
func (nt *Net) Wires() int {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	return len(nt.links)
}

// KillReport says what killing a peer did.
type KillReport struct {
	// Peer is the peer killed.
	Peer int
	// Wires is how many wires the peer had.
	Wires int
	// Causes counts why the other ends of its wires ended (Wire.Err).
	Causes map[string]int
}

// Kill kills peer k as a crash would look to its neighbours: it closes k's
// interface, which ends every wire of k (each peer is sent a Termination
// message), and waits until the other end of each of those wires has ended,
// so that calls made after Kill returns find them ended.
func (nt *Net) Kill(ctx context.Context, k int) (KillReport, error) {
	p := nt.Peers[k]
	rep := KillReport{Peer: k, Causes: map[string]int{}}
	closeErr := p.Iface.Close()
	nt.mu.Lock()
	var others []*ipfi.Wire
	for _, l := range nt.links {
		switch p {
		case l.a:
			others = append(others, l.wb)
		case l.b:
			others = append(others, l.wa)
		}
	}
	nt.mu.Unlock()
	rep.Wires = len(others)
	for _, w := range others {
		select {
		case <-w.Done():
			rep.Causes[fmt.Sprint(w.Err())]++
		case <-ctx.Done():
			return rep, fmt.Errorf("kill %d: a neighbour's wire did not end: %w", k, context.Cause(ctx))
		}
	}
	return rep, closeErr
}

// String describes the kill in one line.
func (r KillReport) String() string {
	causes := make([]string, 0, len(r.Causes))
	for c := range r.Causes {
		causes = append(causes, c)
	}
	sort.Strings(causes)
	s := fmt.Sprintf("peer %d killed: its interface closed, the other ends of its %d wires ended with", r.Peer, r.Wires)
	for i, c := range causes {
		if i > 0 {
			s += ";"
		}
		s += fmt.Sprintf(" %q ×%d", c, r.Causes[c])
	}
	return s
}

// Close closes every peer's interface (the entry's included) and the
// listener. Closing an interface returns once every goroutine it started
// has ended.
func (nt *Net) Close() error {
	var errs []error
	for _, p := range nt.Peers {
		errs = append(errs, p.Iface.Close())
	}
	nt.mu.Lock()
	entry := nt.entry
	nt.mu.Unlock()
	if entry != nil {
		errs = append(errs, entry.Iface.Close())
	}
	if nt.ln != nil {
		if err := nt.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
