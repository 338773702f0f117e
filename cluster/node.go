package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"maps"
	"net"
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

// nodeMeta is what a node advertises in memberlist's metadata, as JSON.
type nodeMeta struct {
	Network string            `json:"network,omitempty"`
	Addr    string            `json:"addr,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
}

// encodeMeta returns the metadata of a node, or an error matching
// ErrInvalidConfig if it is longer than memberlist allows.
func encodeMeta(network, addr string, tags map[string]string) ([]byte, error) {
	b, err := json.Marshal(nodeMeta{Network: network, Addr: addr, Tags: tags})
	if err != nil {
		return nil, fmt.Errorf("cluster: encoding node metadata: %w", err)
	}
	if len(b) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("%w: node metadata (network, address and tags) is %d bytes as JSON, more than memberlist's %d",
			ErrInvalidConfig, len(b), memberlist.MetaMaxSize)
	}
	return b, nil
}

// decodeMember returns the Member a node's metadata advertises; false if
// it advertises no IPFI address (a node that only watches, or not one of
// ours).
func decodeMember(name string, meta []byte) (Member, bool) {
	var m nodeMeta
	if json.Unmarshal(meta, &m) != nil || m.Addr == "" {
		return Member{}, false
	}
	if m.Network == "" {
		m.Network = "tcp"
	}
	return Member{ID: name, Network: m.Network, Addr: m.Addr, Tags: m.Tags}, true
}

// nodeDelegate is a Node as memberlist's Delegate and EventDelegate. Its
// methods are called from memberlist's goroutines, the events with
// memberlist's node lock held: they take only n.mu, and never block.
type nodeDelegate Node

// NodeMeta returns the node's metadata (encodeMeta has checked its size).
func (d *nodeDelegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.meta
}

func (d *nodeDelegate) NotifyMsg([]byte)                           {}
func (d *nodeDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *nodeDelegate) LocalState(join bool) []byte                { return nil }
func (d *nodeDelegate) MergeRemoteState(buf []byte, join bool)     {}

func (d *nodeDelegate) NotifyJoin(node *memberlist.Node)   { d.set(node) }
func (d *nodeDelegate) NotifyUpdate(node *memberlist.Node) { d.set(node) }

func (d *nodeDelegate) NotifyLeave(node *memberlist.Node) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.members[node.Name]; ok && !d.stopped {
		delete(d.members, node.Name)
		(*Node)(d).poke()
	}
}

// set records node as alive with its metadata.
func (d *nodeDelegate) set(node *memberlist.Node) {
	m, serves := decodeMember(node.Name, node.Meta)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	_, was := d.members[node.Name]
	switch {
	case serves:
		d.members[node.Name] = m
	case was:
		delete(d.members, node.Name)
	default:
		return
	}
	(*Node)(d).poke()
}

// nodeLabel is the pprof label on a node's goroutines. memberlist's
// Shutdown does not wait for the goroutines it started, and gives no way
// to: so Join starts memberlist under this label, which every goroutine
// memberlist starts inherits, with a value unique to the node, and
// Shutdown waits until a goroutine profile shows none left with it. (The
// label also marks memberlist's work in the program's CPU profiles.)
const nodeLabel = "ipfi.cluster.node"

// census is the last goroutine profile taken, as counts of goroutines by
// value of nodeLabel: one profile serves every node that waits at the
// same time.
var census struct {
	sync.Mutex
	taken  time.Time
	counts map[string]int
}

// labelled returns how many goroutines carry nodeLabel=value in a
// goroutine profile taken after after, and when that profile was taken.
func labelled(value string, after time.Time) (int, time.Time) {
	census.Lock()
	defer census.Unlock()
	if !census.taken.After(after) {
		taken := time.Now()
		var b strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		census.counts = countLabels(b.String())
		census.taken = taken
	}
	return census.counts[value], census.taken
}

// countLabels counts the goroutines of a goroutine profile in its text
// form (debug=1) by value of nodeLabel: each record is a line "N @ pc…",
// then, if its goroutines have labels, `# labels: {"key":"value", …}`.
func countLabels(profile string) map[string]int {
	counts := make(map[string]int)
	key := strconv.Quote(nodeLabel) + ":"
	records := 0
	for line := range strings.Lines(profile) {
		if count, _, ok := strings.Cut(line, " @ "); ok {
			records, _ = strconv.Atoi(count)
			continue
		}
		labels, ok := strings.CutPrefix(line, "# labels: ")
		if !ok {
			continue
		}
		if _, rest, ok := strings.Cut(labels, key); ok {
			if quoted, err := strconv.QuotedPrefix(rest); err == nil {
				value, _ := strconv.Unquote(quoted)
				counts[value] += records
			}
		}
	}
	return counts
}

// waitGoroutines waits until none of the node's goroutines is left; once
// ctx has ended and stopGrace has passed, it returns an error instead.
func (n *Node) waitGoroutines(ctx context.Context) error {
	start := time.Now()
	seen := start // a profile from before would not show what runs now
	for pause := time.Millisecond; ; pause = min(2*pause, 20*time.Millisecond) {
		left, taken := labelled(n.id, seen)
		if left == 0 {
			return nil
		}
		if ctx.Err() != nil && time.Since(start) >= stopGrace {
			return fmt.Errorf("cluster: node %s: %d goroutines of memberlist still running: %w", n.name, left, context.Cause(ctx))
		}
		seen = taken
		time.Sleep(pause)
	}
}

// stopGrace is the least time Shutdown waits for memberlist's goroutines
// to end, even if its ctx has ended: they take a moment to notice that
// memberlist has shut down.
const stopGrace = 100 * time.Millisecond

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
