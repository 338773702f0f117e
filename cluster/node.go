package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"maps"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/ipfi-go/ipfi"
)

// ErrNodeShutdown is what SetTags returns once the node's Shutdown has
// begun.
var ErrNodeShutdown = errors.New("cluster: node shut down")

// NodeConfig configures a member of a cluster.
type NodeConfig struct {
	// Name names the node uniquely in the cluster: it is the ID of the
	// Member it advertises. "" is the host name plus a random suffix.
	Name string
	// Network and Addr are where the node's IPFI server listens, as
	// Interface.Dial takes them, advertised in the node's metadata;
	// Network "" is "tcp". Addr "" is a node that only watches (a
	// client's): it is in the cluster but never reported as a Member.
	Network, Addr string
	// Tags are advertised with the address ("version", "zone"). Join and
	// SetTags copy them.
	Tags map[string]string
	// Seeds are the gossip addresses ("host:port", another node's
	// GossipAddr) of members to join. None starts a new cluster.
	Seeds []string
	// Memberlist configures the gossip: LocalConfig, LANConfig, WANConfig
	// or the program's own; nil is LocalConfig(). Join works on a copy: it
	// sets the copy's Name, Delegate, Events and Logger (LogOutput is
	// cleared) and keeps the rest, such as BindAddr and BindPort, the
	// timers, and SecretKey or Keyring for encrypted gossip. If Transport
	// is nil, Join makes memberlist's NetTransport on BindAddr and
	// BindPort itself, so that Join's ctx and Shutdown can end its
	// streams; a Transport of the program's own is used as it is.
	Memberlist *memberlist.Config
	// Interface is the node's IPFI server, or nil. If set, Shutdown
	// drains it (Interface.Shutdown) once the node has left the cluster.
	Interface *ipfi.Interface
	// Logger receives memberlist's log, never written to stderr (its
	// "[DEBUG]", "[INFO]", "[WARN]" and "[ERR]" lines at those levels),
	// and the node's warnings, each with a "node" attribute; nil discards
	// them. Its handler runs in memberlist's goroutines, and must not
	// start a goroutine that outlives the call: Shutdown waits for every
	// goroutine started from memberlist's.
	Logger *slog.Logger
}

// LocalConfig returns memberlist's DefaultLocalConfig bound to 127.0.0.1
// on a port Join picks (BindPort 0: it binds a free port and advertises
// it): for nodes on one machine, and tests.
func LocalConfig() *memberlist.Config {
	c := memberlist.DefaultLocalConfig()
	c.BindAddr = "127.0.0.1"
	c.BindPort = 0
	c.AdvertisePort = 0
	return c
}

// LANConfig returns memberlist's DefaultLANConfig: bound to 0.0.0.0:7946,
// advertising a private address of the host, timers for a local network.
func LANConfig() *memberlist.Config { return memberlist.DefaultLANConfig() }

// WANConfig returns memberlist's DefaultWANConfig: LANConfig with slower
// timers, for members across the internet.
func WANConfig() *memberlist.Config { return memberlist.DefaultWANConfig() }

// Node is a member of a cluster: it gossips with the others through
// hashicorp/memberlist, advertises its IPFI server's address and tags to
// them, and knows theirs. It is a Resolver of the cluster's servers.
//
// Join starts it, Shutdown stops it; its methods are safe for concurrent
// use.
type Node struct {
	name      string
	id        string // the value of nodeLabel on memberlist's goroutines
	network   string
	addr      string
	gossip    string // GossipAddr
	ml        *memberlist.Memberlist
	tr        *nodeTransport // nil: the program's own Transport
	iface     *ipfi.Interface
	log       *nodeLog
	leaveWait time.Duration // leaveWaitFor
	shutdown  sync.Once
	err       error // Shutdown's, set by shutdown

	// life orders SetTags and Shutdown: SetTags holds it for reading while
	// it advertises, Shutdown takes it to set down, so that no UpdateNode
	// runs once Leave has begun.
	life sync.RWMutex
	down bool

	// mu guards what memberlist's goroutines (the delegate) and the
	// node's callers share.
	mu      sync.Mutex
	meta    []byte            // NodeMeta's answer
	members map[string]Member // the alive members that serve, by ID
	stopped bool              // memberlist shut down: no members
	// watchers are the changed channels of the Watches running: the
	// delegate pokes each (non-blocking) after every change.
	watchers map[chan struct{}]struct{}
}

var _ Resolver = (*Node)(nil)

// Join starts a node with cfg and joins the cluster of cfg.Seeds: it binds
// memberlist's gossip port, then contacts every seed, and returns once
// the node knows what they know. It is an error if no seed answers, or if
// ctx ends first; Join then shuts down everything it started, and waits
// for it, before it returns. (ctx does not bound memberlist's resolution
// of a seed's host name, nor, with a Transport of the program's own, its
// joins: memberlist bounds each by TCPTimeout.) Metadata (network,
// address and tags) longer than memberlist.MetaMaxSize is an error
// matching ErrInvalidConfig, before anything starts.
func Join(ctx context.Context, cfg NodeConfig) (*Node, error) {
	if cfg.Network == "" {
		cfg.Network = "tcp"
	}
	meta, err := encodeMeta(cfg.Network, cfg.Addr, cfg.Tags)
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		if cfg.Name, err = defaultName(); err != nil {
			return nil, err
		}
	}
	c := LocalConfig()
	if cfg.Memberlist != nil {
		cc := *cfg.Memberlist
		c = &cc
	}
	n := &Node{
		name: cfg.Name, id: cfg.Name + "/" + strconv.FormatUint(nodeSeq.Add(1), 10),
		network: cfg.Network, addr: cfg.Addr, iface: cfg.Interface,
		log:  &nodeLog{logger: cfg.Logger, node: cfg.Name},
		meta: meta, members: make(map[string]Member), watchers: make(map[chan struct{}]struct{}),
	}
	n.leaveWait = leaveWaitFor(c)
	c.Name = cfg.Name
	c.Delegate = (*nodeDelegate)(n)
	c.Events = (*nodeDelegate)(n)
	c.Logger = log.New(n.log, "", 0)
	c.LogOutput = nil
	pprof.Do(ctx, pprof.Labels(nodeLabel, n.id), func(context.Context) {
		err = n.start(ctx, c, cfg.Seeds)
	})
	if err != nil {
		if werr := n.waitGoroutines(context.WithoutCancel(ctx)); werr != nil {
			err = errors.Join(err, werr)
		}
		return nil, err
	}
	return n, nil
}

// nodeSeq numbers the nodes of the process, for their nodeLabel values.
var nodeSeq atomic.Uint64

// defaultName returns the host name plus a random suffix.
func defaultName() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("cluster: naming the node: %w", err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:]), nil
}

// start creates the memberlist with c and joins seeds; on an error it
// has shut down what it started. It runs under the node's pprof label,
// which every goroutine of memberlist's inherits.
func (n *Node) start(ctx context.Context, c *memberlist.Config, seeds []string) error {
	if c.Transport == nil {
		t, err := newNodeTransport(c)
		if err != nil {
			return fmt.Errorf("cluster: node %s: binding the gossip port: %w", n.name, err)
		}
		c.Transport, n.tr = t, t
	}
	ml, err := memberlist.Create(c)
	if err != nil {
		if n.tr != nil {
			_ = n.tr.Shutdown()
		}
		return fmt.Errorf("cluster: node %s: starting memberlist: %w", n.name, err)
	}
	n.ml = ml
	// Until it joins, no other node knows this one: nothing updates its
	// state while LocalNode's is read.
	n.gossip = ml.LocalNode().Address()
	if len(seeds) == 0 {
		return nil
	}
	if err := n.join(ctx, seeds); err != nil {
		n.log.mute()
		_ = ml.Shutdown()
		return err
	}
	return nil
}

// join joins seeds. With the node's own transport, the end of ctx stops
// the transport, which ends the dials; the join then fails even if it
// succeeded meanwhile, since the transport is of no more use.
func (n *Node) join(ctx context.Context, seeds []string) error {
	stopped := false
	var err error
	if n.tr != nil {
		stop := context.AfterFunc(ctx, n.tr.stop)
		_, err = n.ml.Join(seeds)
		stopped = !stop()
	} else {
		_, err = n.ml.Join(seeds)
	}
	err = flatten(err)
	if stopped || ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		return fmt.Errorf("cluster: node %s: joining %s: %w", n.name, strings.Join(seeds, ", "), err)
	}
	return nil
}

// flatten returns memberlist's error of a join, a multierror of one error
// per seed (its message spans lines), as one line: the errors joined by
// "; ".
func flatten(err error) error {
	var multi interface{ WrappedErrors() []error }
	if !errors.As(err, &multi) {
		return err
	}
	return seedErrors(multi.WrappedErrors())
}

// seedErrors are the errors of a join, one per seed.
type seedErrors []error

func (e seedErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e seedErrors) Unwrap() []error { return e }

// GossipAddr returns the node's gossip address ("host:port"), a seed for
// the nodes that join after it.
func (n *Node) GossipAddr() string { return n.gossip }

// Members returns the cluster's alive members that advertise an IPFI
// address, the node itself included if it does, sorted by ID; none once
// Shutdown has shut memberlist down. A suspect member (one that failed a
// probe) is still alive until memberlist declares it dead.
func (n *Node) Members() []Member {
	n.mu.Lock()
	ms := slices.Collect(maps.Values(n.members))
	n.mu.Unlock()
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	return ms
}

// Watch calls update with Members at once, then again whenever they
// change (a member joins, leaves, fails or changes its tags), until ctx
// ends; it then returns ctx's error. Once the node is shut down, it
// reports no members and waits for ctx.
//
// memberlist calls the node's events from its own goroutines and must not
// block, so an event only pokes each Watch's one-slot changed channel
// (never blocking: a poke pending already covers it); Watch, in the
// caller's goroutine, reads Members when poked and calls update if they
// differ from what it reported last. Updates are thus made one at a time,
// a burst of events is reported once, and a slow update delays no one but
// its own Watch. Watch starts no goroutine; any number may run at once.
func (n *Node) Watch(ctx context.Context, update func([]Member)) error {
	changed := make(chan struct{}, 1)
	n.mu.Lock()
	n.watchers[changed] = struct{}{}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.watchers, changed)
		n.mu.Unlock()
	}()
	var last []Member
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			return err
		}
		if ms := n.Members(); first || !sameMembers(ms, last) {
			last = ms
			update(slices.Clone(ms))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// SetTags replaces the tags the node advertises (its own Members show
// them at once) and gossips them: it returns once memberlist has sent
// them out, or with an error once ctx's deadline (5 s if ctx has none)
// has passed, the tags set all the same and still being sent; the other
// members learn them as the gossip spreads. Tags that make the metadata
// too long are an error matching ErrInvalidConfig, and change nothing;
// once Shutdown has begun SetTags returns ErrNodeShutdown.
func (n *Node) SetTags(ctx context.Context, tags map[string]string) error {
	meta, err := encodeMeta(n.network, n.addr, tags)
	if err != nil {
		return err
	}
	n.life.RLock()
	defer n.life.RUnlock()
	if n.down {
		return ErrNodeShutdown
	}
	timeout, err := broadcastTimeout(ctx)
	if err != nil {
		return fmt.Errorf("cluster: node %s: advertising tags: %w", n.name, err)
	}
	n.mu.Lock()
	n.meta = meta
	n.mu.Unlock()
	if err := n.ml.UpdateNode(timeout); err != nil {
		return fmt.Errorf("cluster: node %s: advertising tags: %w", n.name, err)
	}
	return nil
}

// Shutdown stops the node gracefully, in three steps. It leaves the
// cluster: the others learn it at once, rather than by failure detection.
// It waits for the leave message to go out until ctx's deadline, and at
// most the longer of memberlist's ProbeInterval and ten GossipIntervals
// (1 s with LocalConfig, 2 s with LANConfig, 5 s with WANConfig); a
// message not out by then goes on being sent during the next step, and
// the node logs a warning. Then, if the config's Interface is set, it
// drains it (Interface.Shutdown with ctx). Then it shuts memberlist down
// and waits until every goroutine memberlist started has ended
// (memberlist does not wait for them itself): while ctx lasts, and at
// least 100 ms. Shutdown returns every error met on the way, going on
// past each; later calls wait for the first and return what it returned.
func (n *Node) Shutdown(ctx context.Context) error {
	n.shutdown.Do(func() { n.err = n.stop(ctx, true) })
	return n.err
}

// crash stops the node as a crash would, without leaving: the others
// learn it by failure detection. For tests; Shutdown then does nothing.
func (n *Node) crash() error {
	n.shutdown.Do(func() { n.err = n.stop(context.Background(), false) })
	return n.err
}

// stop leaves (if graceful), drains the interface (if graceful), shuts
// memberlist down and waits for its goroutines.
func (n *Node) stop(ctx context.Context, graceful bool) error {
	n.life.Lock()
	n.down = true
	n.life.Unlock()
	var errs []error
	if graceful {
		if err := n.leave(ctx); err != nil {
			errs = append(errs, err)
		}
		if n.iface != nil {
			if err := n.iface.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("cluster: node %s: shutting the interface down: %w", n.name, err))
			}
		}
	}
	n.log.mute()
	if err := n.ml.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("cluster: node %s: shutting memberlist down: %w", n.name, err))
	}
	n.mu.Lock()
	n.stopped = true
	clear(n.members)
	n.poke()
	n.mu.Unlock()
	if err := n.waitGoroutines(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// leave broadcasts that the node leaves, and waits for the message to go
// out (memberlist transmits it to a few members, who pass it on) until
// ctx's deadline, and at most leaveWait. A message not out by then is
// logged, not an error: memberlist goes on sending it until Shutdown
// shuts it down, and the members it misses detect the failure instead.
// That happens when many members leave at once, since memberlist sends
// no message to a member that has left.
func (n *Node) leave(ctx context.Context) error {
	timeout, err := broadcastTimeout(ctx)
	if err != nil {
		return fmt.Errorf("cluster: node %s: leaving: %w", n.name, err)
	}
	if err := n.ml.Leave(min(timeout, n.leaveWait)); err != nil {
		n.warn("cluster: the leave message has not gone out yet; the members it misses will detect a failure instead", "error", err)
	}
	return nil
}

// leaveWaitFor returns how long Shutdown waits for the leave message of
// a node with c to go out: time for many rounds of gossip, and at least
// a probe interval.
func leaveWaitFor(c *memberlist.Config) time.Duration {
	return max(c.ProbeInterval, 10*c.GossipInterval)
}

// warn logs msg with args, if the node has a Logger.
func (n *Node) warn(msg string, args ...any) {
	if n.log.logger != nil {
		n.log.logger.Warn(msg, append([]any{"node", n.name}, args...)...)
	}
}

// broadcastWait bounds the wait of UpdateNode for its broadcast when ctx
// has no deadline: memberlist's timeout is a duration, and none (0) waits
// for ever.
const broadcastWait = 5 * time.Second

// broadcastTimeout returns the time left before ctx's deadline, or
// broadcastWait; an error if ctx has ended.
func broadcastTimeout(ctx context.Context) (time.Duration, error) {
	if ctx.Err() != nil {
		return 0, context.Cause(ctx)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return broadcastWait, nil
	}
	d := time.Until(deadline)
	if d <= 0 {
		return 0, context.DeadlineExceeded
	}
	return d, nil
}

// poke tells every Watch that the members may have changed. n.mu is held.
func (n *Node) poke() {
	for changed := range n.watchers {
		select {
		case changed <- struct{}{}:
		default: // a poke is pending: it covers this change too
		}
	}
}
