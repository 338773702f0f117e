package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
)

// fastConfig is LocalConfig with probes five times as frequent (their
// timeout halved) and gossip five times as fast, so that a crash is
// detected in about a second rather than five; the suspicion multiplier
// stays LocalConfig's.
func fastConfig() *memberlist.Config {
	c := LocalConfig()
	c.ProbeInterval = 200 * time.Millisecond
	c.ProbeTimeout = 100 * time.Millisecond
	c.GossipInterval = 20 * time.Millisecond
	return c
}

// startNode joins a node with cfg (LocalConfig if cfg.Memberlist is nil),
// bounded by 5 s, and shuts it down when the test ends.
func startNode(t testing.TB, cfg NodeConfig) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	n, err := Join(ctx, cfg)
	if err != nil {
		t.Fatalf("Join(%s): %v", cfg.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown(%s): %v", n.name, err)
		}
	})
	return n
}

// serverConfig is the NodeConfig of a server named name, with a made-up
// IPFI address (no one dials it) and tags, joining seed ("" for none).
func serverConfig(name, addr, seed string, mc *memberlist.Config) NodeConfig {
	cfg := NodeConfig{Name: name, Addr: addr, Tags: map[string]string{"version": "1", "zone": name}, Memberlist: mc}
	if seed != "" {
		cfg.Seeds = []string{seed}
	}
	return cfg
}

// memberOf returns the Member cfg advertises.
func memberOf(cfg NodeConfig) Member {
	network := cfg.Network
	if network == "" {
		network = "tcp"
	}
	return Member{ID: cfg.Name, Network: network, Addr: cfg.Addr, Tags: cfg.Tags}
}

// waitUntil polls cond every 5 ms until it holds, and returns the time it
// took; the test fails if it does not hold within limit.
func waitUntil(t testing.TB, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// seesExactly reports whether every node's Members are want.
func seesExactly(nodes []*Node, want []Member) func() bool {
	return func() bool {
		for _, n := range nodes {
			if !sameMembers(n.Members(), want) {
				return false
			}
		}
		return true
	}
}

// hasMember reports whether ms has a member with ID id.
func hasMember(ms []Member, id string) bool {
	return slices.ContainsFunc(ms, func(m Member) bool { return m.ID == id })
}

// memberlistGoroutines returns the stacks of the goroutines running
// memberlist's code or a node's transport.
func memberlistGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var found []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "hashicorp/memberlist.") || strings.Contains(g, "cluster.(*nodeTransport)") {
			found = append(found, g)
		}
	}
	return found
}

// checkNoGoroutines fails the test if goroutines of memberlist's are still
// running when it ends, after every node's Shutdown (Cleanup runs last
// what was registered first). It allows 200 ms for a timer's callback of
// memberlist's that fired late (those are not counted by Shutdown: timers
// run them in goroutines of their own, and they do not block).
func checkNoGoroutines(t testing.TB) {
	t.Cleanup(func() {
		deadline := time.Now().Add(200 * time.Millisecond)
		for {
			left := memberlistGoroutines()
			if len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines of memberlist left after Shutdown, first:\n%s", len(left), left[0])
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

func TestNodeThreeConverge(t *testing.T) {
	checkNoGoroutines(t)
	start := time.Now()
	var cfgs []NodeConfig
	var nodes []*Node
	for i, name := range []string{"a", "b", "c"} {
		seed := ""
		if i > 0 {
			seed = nodes[0].GossipAddr()
		}
		cfgs = append(cfgs, serverConfig(name, fmt.Sprintf("127.0.0.1:%d", 7001+i), seed, nil))
		nodes = append(nodes, startNode(t, cfgs[i]))
	}
	joined := time.Since(start)
	want := []Member{memberOf(cfgs[0]), memberOf(cfgs[1]), memberOf(cfgs[2])}
	took := waitUntil(t, 5*time.Second, "three nodes converge", seesExactly(nodes, want))
	t.Logf("3 nodes (LocalConfig): joined in %v, every node sees the three %v later", joined.Round(time.Millisecond), took.Round(time.Millisecond))
	for _, n := range nodes {
		if got := n.Members(); !slices.EqualFunc(got, sortMembers(want), Member.Equal) {
			t.Errorf("%s: Members() = %v, want %v sorted by ID", n.name, got, want)
		}
	}
}

func TestNodeWatchOnlyIsNoMember(t *testing.T) {
	checkNoGoroutines(t)
	a := serverConfig("a", "127.0.0.1:7001", "", nil)
	na := startNode(t, a)
	b := serverConfig("b", "127.0.0.1:7002", na.GossipAddr(), nil)
	nb := startNode(t, b)
	nw := startNode(t, NodeConfig{Name: "watcher", Seeds: []string{na.GossipAddr()}})
	want := []Member{memberOf(a), memberOf(b)}
	waitUntil(t, 5*time.Second, "the watcher sees both servers", seesExactly([]*Node{nw}, want))
	// Once the servers know the watcher (memberlist counts it), it is
	// still not one of their Members.
	waitUntil(t, 5*time.Second, "the servers know the watcher", func() bool {
		return na.ml.NumMembers() == 3 && nb.ml.NumMembers() == 3
	})
	for _, n := range []*Node{na, nb, nw} {
		if got := n.Members(); !sameMembers(got, want) {
			t.Errorf("%s: Members() = %v, want the two servers only", n.name, got)
		}
	}
}

func TestNodeShutdownLeavesAtOnce(t *testing.T) {
	checkNoGoroutines(t)
	na := startNode(t, serverConfig("a", "127.0.0.1:7001", "", nil))
	nb := startNode(t, serverConfig("b", "127.0.0.1:7002", na.GossipAddr(), nil))
	nc := startNode(t, serverConfig("c", "127.0.0.1:7003", na.GossipAddr(), nil))
	waitUntil(t, 5*time.Second, "three nodes converge", func() bool {
		return len(na.Members()) == 3 && len(nb.Members()) == 3 && len(nc.Members()) == 3
	})
	start := time.Now()
	if err := nc.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	shut := time.Since(start)
	waitUntil(t, time.Second-shut, "the others drop the node that left", func() bool {
		return !hasMember(na.Members(), "c") && !hasMember(nb.Members(), "c")
	})
	t.Logf("graceful Shutdown (LocalConfig): took %v; both others dropped the node %v after it began",
		shut.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if got := nc.Members(); len(got) != 0 {
		t.Errorf("after Shutdown, Members() = %v, want none", got)
	}
	if err := nc.Shutdown(t.Context()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

// crashBound is the longest memberlist may take to declare a crashed
// member of a small cluster dead with c: until each survivor probes it
// (two probe intervals, as each probes the members in turn), the failed
// probe (one interval), and the longest suspicion (SuspicionMaxTimeoutMult
// times SuspicionMult probe intervals, for clusters under ten), plus a
// second for gossip and the race detector.
func crashBound(c *memberlist.Config) time.Duration {
	return 3*c.ProbeInterval + time.Duration(c.SuspicionMaxTimeoutMult*c.SuspicionMult)*c.ProbeInterval + time.Second
}

// testCrash joins three nodes with c, crashes one (no Leave) and returns
// how long the two others take to drop it.
func testCrash(t *testing.T, c func() *memberlist.Config) time.Duration {
	checkNoGoroutines(t)
	na := startNode(t, serverConfig("a", "127.0.0.1:7001", "", c()))
	nb := startNode(t, serverConfig("b", "127.0.0.1:7002", na.GossipAddr(), c()))
	nc := startNode(t, serverConfig("c", "127.0.0.1:7003", na.GossipAddr(), c()))
	waitUntil(t, 5*time.Second, "three nodes converge", func() bool {
		return len(na.Members()) == 3 && len(nb.Members()) == 3 && len(nc.Members()) == 3
	})
	start := time.Now()
	if err := nc.crash(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, crashBound(c()), "the others drop the crashed node", func() bool {
		return !hasMember(na.Members(), "c") && !hasMember(nb.Members(), "c")
	})
	return time.Since(start)
}

func TestNodeCrashDetected(t *testing.T) {
	c := fastConfig()
	took := testCrash(t, fastConfig)
	t.Logf("crash, no Leave (LocalConfig with ProbeInterval %v, ProbeTimeout %v, GossipInterval %v): both others dropped the node after %v",
		c.ProbeInterval, c.ProbeTimeout, c.GossipInterval, took.Round(time.Millisecond))
}

func TestNodeCrashDetectedLocalConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("LocalConfig detects a crash in about 5 s")
	}
	took := testCrash(t, LocalConfig)
	t.Logf("crash, no Leave (LocalConfig as it is): both others dropped the node after %v", took.Round(time.Millisecond))
}

// nodeWatch is a Watch running in a goroutine of the test, its updates
// on a channel.
type nodeWatch struct {
	updates chan []Member
	cancel  context.CancelFunc
	done    chan error
	once    sync.Once
	err     error // what Watch returned
}

func startNodeWatch(t *testing.T, n *Node) *nodeWatch {
	ctx, cancel := context.WithCancel(t.Context())
	w := &nodeWatch{updates: make(chan []Member, 100), cancel: cancel, done: make(chan error, 1)}
	go func() { w.done <- n.Watch(ctx, func(ms []Member) { w.updates <- ms }) }()
	t.Cleanup(func() { w.stop() })
	return w
}

// stop ends the Watch, waits for it to return and returns its error.
func (w *nodeWatch) stop() error {
	w.once.Do(func() {
		w.cancel()
		w.err = <-w.done
	})
	return w.err
}

// expect waits for an update with want, skipping others, for at most 5 s.
func (w *nodeWatch) expect(t *testing.T, what string, want ...Member) {
	t.Helper()
	limit := time.After(5 * time.Second)
	for {
		select {
		case ms := <-w.updates:
			if sameMembers(ms, want) {
				return
			}
		case <-limit:
			t.Fatalf("%s: no update with %v", what, want)
		}
	}
}

func TestNodeWatchReportsJoinTagsLeave(t *testing.T) {
	checkNoGoroutines(t)
	a := serverConfig("a", "127.0.0.1:7001", "", fastConfig())
	na := startNode(t, a)
	w1, w2 := startNodeWatch(t, na), startNodeWatch(t, na)
	select {
	case ms := <-w1.updates:
		if !sameMembers(ms, []Member{memberOf(a)}) {
			t.Fatalf("first update %v, want the node itself", ms)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no first update")
	}

	b := serverConfig("b", "127.0.0.1:7002", na.GossipAddr(), fastConfig())
	nb := startNode(t, b)
	w1.expect(t, "join", memberOf(a), memberOf(b))

	b.Tags = map[string]string{"version": "2", "zone": "b"}
	if err := nb.SetTags(t.Context(), b.Tags); err != nil {
		t.Fatal(err)
	}
	if got := nb.Members(); !sameMembers(got, []Member{memberOf(a), memberOf(b)}) {
		t.Errorf("after SetTags, its own Members() = %v", got)
	}
	w1.expect(t, "tags change", memberOf(a), memberOf(b))

	if err := nb.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	w1.expect(t, "leave", memberOf(a))
	w2.expect(t, "leave, second Watch", memberOf(a))
	if err := nb.SetTags(t.Context(), nil); !errors.Is(err, ErrNodeShutdown) {
		t.Errorf("SetTags after Shutdown: %v, want ErrNodeShutdown", err)
	}

	if err := w1.stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch returned %v, want context.Canceled", err)
	}
}

func TestNodeShutdownDrainsInterfaceAfterLeaving(t *testing.T) {
	checkNoGoroutines(t)
	server, err := ipfi.New()
	if err != nil {
		t.Fatal(err)
	}
	peer, err := ipfi.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	ws, wp, err := ipfitest.Pipe(server, peer)
	if err != nil {
		t.Fatal(err)
	}
	observer := startNode(t, serverConfig("observer", "127.0.0.1:7001", "", nil))
	cfg := serverConfig("server", "127.0.0.1:7002", observer.GossipAddr(), nil)
	cfg.Interface = server
	n := startNode(t, cfg)
	waitUntil(t, 5*time.Second, "the observer sees the server", func() bool { return hasMember(observer.Members(), "server") })

	// What the node knows as its interface starts shutting down.
	seen := make(chan []Member, 1)
	go func() {
		<-server.Stopping()
		seen <- n.Members()
	}()
	start := time.Now()
	if err := n.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	shut := time.Since(start)
	if ms := <-seen; hasMember(ms, "server") {
		t.Errorf("the interface began to shut down while the node was a member still: %v", ms)
	}
	for _, w := range []*ipfi.Wire{ws, wp} {
		select {
		case <-w.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("wire %v still up after Shutdown", w)
		}
	}
	waitUntil(t, time.Second, "the observer drops the server", func() bool { return !hasMember(observer.Members(), "server") })
	t.Logf("Shutdown with an interface: took %v; the observer dropped the server %v after it began",
		shut.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// logCapture is a slog.Handler that keeps every record.
type logCapture struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logCapture) Enabled(context.Context, slog.Level) bool { return true }

func (h *logCapture) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

func (h *logCapture) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCapture) WithGroup(string) slog.Handler      { return h }

// find returns the first record at level whose message contains text.
func (h *logCapture) find(level slog.Level, text string) (slog.Record, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		if r.Level == level && strings.Contains(r.Message, text) {
			return r, true
		}
	}
	return slog.Record{}, false
}

// captureStderr replaces os.Stderr with a pipe until the test ends, and
// returns what was written to it then.
func captureStderr(t *testing.T) func() string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	out := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		r.Close()
		out <- string(b)
	}()
	var once sync.Once
	var got string
	stop := func() string {
		once.Do(func() {
			os.Stderr = saved
			w.Close()
			got = <-out
		})
		return got
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestNodeLoggerGetsMemberlistLog(t *testing.T) {
	checkNoGoroutines(t)
	stderr := captureStderr(t)
	h := &logCapture{}
	logger := slog.New(h)
	a := serverConfig("a", "127.0.0.1:7001", "", nil)
	a.Logger = logger
	na := startNode(t, a)
	b := serverConfig("b", "127.0.0.1:7002", na.GossipAddr(), nil)
	b.Logger = logger
	nb := startNode(t, b)
	for _, n := range []*Node{nb, na} {
		if err := n.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	// b's join: memberlist logs "[DEBUG] memberlist: Initiating push/pull
	// sync with: a 127.0.0.1:port" on b.
	r, ok := h.find(slog.LevelDebug, "memberlist: Initiating push/pull sync with")
	if !ok {
		t.Fatalf("no debug record of the join among %d records", len(h.records))
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "node" && a.Value.String() != "b" {
			t.Errorf("the join's record is of node %q, want b", a.Value)
		}
		return true
	})
	if strings.HasPrefix(r.Message, "[") {
		t.Errorf("record message %q keeps its level prefix", r.Message)
	}
	if out := stderr(); out != "" {
		t.Errorf("written to stderr: %q", out)
	}
}

func TestNodeLogLevels(t *testing.T) {
	h := &logCapture{}
	l := log.New(&nodeLog{logger: slog.New(h), node: "n"}, "", 0)
	lines := map[string]slog.Level{
		"[DEBUG] memberlist: debug": slog.LevelDebug,
		"[INFO] memberlist: info":   slog.LevelInfo,
		"[WARN] memberlist: warn":   slog.LevelWarn,
		"[ERR] memberlist: err":     slog.LevelError,
		"[ERROR] memberlist: error": slog.LevelError,
		"no prefix":                 slog.LevelInfo,
	}
	for line := range maps.Keys(lines) {
		l.Print(line)
	}
	for line, level := range lines {
		_, msg := logLevel(line)
		if _, ok := h.find(level, msg); !ok {
			t.Errorf("%q: no record %q at %v", line, msg, level)
		}
	}
	muted := &nodeLog{logger: slog.New(h), node: "n"}
	muted.mute()
	log.New(muted, "", 0).Print("[ERR] after mute")
	if _, ok := h.find(slog.LevelError, "after mute"); ok {
		t.Error("a muted nodeLog logged")
	}
	log.New(&nodeLog{node: "n"}, "", 0).Print("[ERR] to a nil logger") // discarded, no panic
}

func TestJoinRefusesMetadataTooLarge(t *testing.T) {
	checkNoGoroutines(t)
	cfg := serverConfig("a", "127.0.0.1:7001", "", nil)
	cfg.Tags["big"] = strings.Repeat("x", memberlist.MetaMaxSize)
	n, err := Join(t.Context(), cfg)
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Join: %v, %v; want an error matching ErrInvalidConfig", n, err)
	}
	t.Log(err)
	if left := memberlistGoroutines(); len(left) != 0 {
		t.Errorf("Join refused, yet %d goroutines of memberlist run", len(left))
	}

	// SetTags refuses them too, and changes nothing.
	small := serverConfig("b", "127.0.0.1:7002", "", nil)
	nb := startNode(t, small)
	if err := nb.SetTags(t.Context(), cfg.Tags); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("SetTags: %v, want an error matching ErrInvalidConfig", err)
	}
	if got := nb.Members(); !sameMembers(got, []Member{memberOf(small)}) {
		t.Errorf("after a refused SetTags, Members() = %v", got)
	}
}

func TestJoinUnreachableSeed(t *testing.T) {
	checkNoGoroutines(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seed := l.Addr().String()
	l.Close() // nothing listens there now
	n, err := Join(t.Context(), serverConfig("a", "127.0.0.1:7001", seed, nil))
	if err == nil {
		n.Shutdown(t.Context())
		t.Fatal("Join with no seed that answers succeeded")
	}
	t.Log(err)
	if left := memberlistGoroutines(); len(left) != 0 {
		t.Errorf("Join failed, yet %d goroutines of memberlist run, first:\n%s", len(left), left[0])
	}
}

func TestJoinBoundedByContext(t *testing.T) {
	checkNoGoroutines(t)
	// A seed that accepts and never answers: memberlist would wait out
	// TCPTimeout (10 s here).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	conns.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				io.Copy(io.Discard, c) // until the joiner closes it
				c.Close()
			})
		}
	})
	t.Cleanup(func() {
		l.Close()
		conns.Wait()
	})
	mc := LocalConfig()
	mc.TCPTimeout = 10 * time.Second
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	n, err := Join(ctx, serverConfig("a", "127.0.0.1:7001", l.Addr().String(), mc))
	took := time.Since(start)
	if err == nil {
		n.Shutdown(t.Context())
		t.Fatal("Join to a silent seed succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Join: %v, want an error matching context.DeadlineExceeded", err)
	}
	if took > 2*time.Second {
		t.Errorf("Join returned after %v, its ctx ended after 300ms", took)
	}
	t.Logf("Join to a silent seed, ctx of 300ms: returned after %v: %v", took.Round(time.Millisecond), err)
	if left := memberlistGoroutines(); len(left) != 0 {
		t.Errorf("Join failed, yet %d goroutines of memberlist run, first:\n%s", len(left), left[0])
	}
}

func TestNodeDefaultName(t *testing.T) {
	checkNoGoroutines(t)
	n := startNode(t, NodeConfig{Addr: "127.0.0.1:7001"})
	host, _ := os.Hostname()
	ms := n.Members()
	if len(ms) != 1 || !strings.HasPrefix(ms[0].ID, host+"-") || ms[0].ID == host+"-" {
		t.Errorf("Members() = %v, want one member named %s-<suffix>", ms, host)
	}
	if ms[0].Network != "tcp" {
		t.Errorf("network %q, want tcp", ms[0].Network)
	}
}
