package actors

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/supervision"
	cmap "github.com/orcaman/concurrent-map"
)

// Config configures a System. The zero value of every field means its
// default. NewSystem does not validate it: the root package's New refuses
// an invalid option (such as a negative limit or close grace) before it
// builds a Config; here a negative value means the default too.
type Config struct {
	// Registry holds the procedures the interface serves. Default: empty.
	Registry *procedures.Registry
	// Limits bound what a peer can make the interface hold. Default:
	// DefaultLimits().
	Limits Limits
	// Logger receives the actor system's and the supervisors' logs.
	// Default: discard everything.
	Logger *slog.Logger
	// CloseGrace is how long Close waits for a wire's Termination message to
	// be written before it closes the transport anyway. Default 1s.
	CloseGrace time.Duration
	// Timeouts bound how long wires wait on their peers. Default:
	// DefaultTimeouts().
	Timeouts Timeouts
	// Intercept, if set, runs around every call the system serves, of
	// every kind: next runs the procedure and answers the call, returning
	// the procedure's error; an error Intercept returns without calling
	// next answers the call instead (the procedure does not run).
	Intercept func(ctx context.Context, info CallInfo, next func(context.Context) error) error
	// WireEnded, if set, is called once for every wire of the system after
	// it has ended (its actor and its calls' have stopped), on the
	// interface root's goroutine: it must not block.
	WireEnded func(*Conn)
}

// System is the actor system of one Interface: a protoactor-go system, the
// interface root actor and the wires under it.
type System struct {
	as        *actor.ActorSystem
	root      *actor.PID
	rootDone  chan struct{}
	registry  *procedures.Registry
	ended     func(*Conn) // Config.WireEnded
	intercept func(context.Context, CallInfo, func(context.Context) error) error
	limits    Limits
	timeouts  Timeouts
	logger    *slog.Logger
	grace     time.Duration
	// workerIdle is how long a wire's worker parks waiting for another
	// call (defaultWorkerIdle; tests shorten it).
	workerIdle time.Duration

	// calls counts the inbound calls open on all the wires (Limits.MaxCalls).
	calls atomic.Int64
	// waiting counts the callers waiting for an answer in Call.Wait, and
	// procs is GOMAXPROCS as the system started: a caller yields before it
	// parks only while no more than procs wait (see Wait).
	waiting atomic.Int64
	procs   int64

	mu       sync.Mutex
	closed   bool
	draining bool // Shutdown began: no new wire
	wires    map[*Conn]struct{}
	byPID    map[*actor.PID]*Conn

	wg        sync.WaitGroup // every goroutine the system starts
	closeOnce sync.Once
}

// NewSystem starts an actor system and its interface root actor.
func NewSystem(cfg Config) *System {
	s := &System{
		procs:      int64(runtime.GOMAXPROCS(0)),
		rootDone:   make(chan struct{}),
		registry:   cfg.Registry,
		ended:      cfg.WireEnded,
		intercept:  cfg.Intercept,
		limits:     cfg.Limits.withDefaults(),
		timeouts:   cfg.Timeouts.withDefaults(),
		logger:     cfg.Logger,
		grace:      cfg.CloseGrace,
		wires:      make(map[*Conn]struct{}),
		byPID:      make(map[*actor.PID]*Conn),
		workerIdle: defaultWorkerIdle,
	}
	if s.registry == nil {
		s.registry = procedures.NewRegistry()
	}
	if s.logger == nil {
		s.logger = slog.New(discardHandler{})
	}
	if s.grace <= 0 {
		s.grace = time.Second
	}
	logger := s.logger
	s.as = actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }),
		actor.WithDeadLetterThrottleInterval(10*time.Millisecond),
		actor.WithDeadLetterRequestLogging(false),
	)
	shrinkRegistry(s.as)
	s.root = s.as.Root.Spawn(actor.PropsFromProducer(
		func() actor.Actor { return &rootActor{s: s} },
		actor.WithMailbox(newInlineMailbox),
		actor.WithSupervisor(supervision.StopOnFailure(s.wireFailed)),
	))
	return s
}

// Registry returns the procedure registry the system serves.
func (s *System) Registry() *procedures.Registry { return s.registry }

// wireFailed records the failure of a wire actor as its cause before the
// root's strategy stops it.
func (s *System) wireFailed(f supervision.Failure) {
	s.mu.Lock()
	w := s.byPID[f.Child]
	s.mu.Unlock()
	if w != nil {
		w.setErr(wireFailure(f.Reason))
	}
	s.logger.Warn("ipfi: wire failed", "wire", f.Child.Id, "reason", f.Reason)
}

// callFailed reports a call actor stopped by its wire's strategy.
func (s *System) callFailed(f supervision.Failure) {
	s.logger.Warn("ipfi: call failed", "call", f.Child.Id, "reason", f.Reason)
}

// Connect makes a wire over r and w, under the interface root. If c is not
// nil it is closed when the wire ends (closing it must unblock r's Read).
func (s *System) Connect(r io.Reader, wr io.Writer, c io.Closer, opt WireOptions) (*Conn, error) {
	w := newConn(s, r, wr, c, opt)
	if opt.Bind != nil {
		opt.Bind(w)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if s.draining {
		s.mu.Unlock()
		return nil, ErrShutdown
	}
	if len(s.wires) >= s.limits.MaxWires {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: the interface has %d wires (Limits.MaxWires)", ErrLimit, s.limits.MaxWires)
	}
	s.wires[w] = struct{}{}
	s.mu.Unlock()
	if opt.Accepted {
		// The announcement, written before the wire is built: a dialer's
		// first call with a deadline waits for it, so building the wire
		// overlaps its trip instead of delaying it.
		w.out.writeEarly()
	}
	testHookConnectSpawns()
	reply := make(chan error, 1)
	s.as.Root.Send(s.root, &spawnWireMsg{w: w, reply: reply})
	err, ok := fromRoot(s, reply)
	if !ok {
		err = ErrClosed
	}
	if err != nil {
		s.forget(w)
		return nil, err
	}
	switch {
	case opt.Accepted:
		// What writeEarly could not write of the announcement, written
		// here: a flusher goroutine started for it would run before the
		// wire's reader, which has just started.
		w.out.flushNow()
	case opt.Dialed:
		// The announcement goes out later, with other bytes (announceLate),
		// or on its own after announceWait.
		w.dog.startAnnounce(w)
	default:
		// The announcement, by a flusher goroutine: a caller that calls
		// at once takes it into its own write first.
		w.out.flushSoon()
	}
	w.dog.start(w)
	return w, nil
}

func (s *System) forget(w *Conn) {
	s.mu.Lock()
	delete(s.wires, w)
	delete(s.byPID, w.pid)
	s.mu.Unlock()
}

// Close ends every wire (each peer is sent a Termination message, given up
// to the close grace to be written), stops the actor tree and returns once
// every goroutine the system started has ended, including procedures still
// running (their contexts are cancelled), waiting for them at most
// Timeouts.Stop: past it, it logs and returns an error matching
// ErrStopTimeout, leaving them running. It is idempotent and safe to call
// concurrently; only the first call reports that error.
func (s *System) Close() error {
	var err error
	s.closeOnce.Do(func() {
		wires := s.stopAdding(func() { s.closed = true })
		deadline := time.NewTimer(s.grace)
		for _, w := range wires {
			w.setErr(ErrClosed) // before the peer can answer by hanging up
			w.sayGoodbye()
		}
		for _, w := range wires {
			select {
			case <-w.out.drained():
			case <-deadline.C:
			}
		}
		deadline.Stop()
		for _, w := range wires {
			w.terminate(ErrClosed)
		}
		s.as.Root.Stop(s.root)
		<-s.rootDone
		if d := s.timeouts.Stop; !waitGroup(&s.wg, d) {
			var n int64
			for _, w := range wires {
				n += w.goroutines.n.Load()
			}
			s.logger.Error("ipfi: procedures ignore their cancelled contexts", "goroutines", n, "after", d)
			err = fmt.Errorf("%w: %d goroutines, %v after their contexts were cancelled", ErrStopTimeout, n, d)
		}
		s.as.Shutdown()
	})
	return err
}

// SpawnChild spawns an actor under the interface root, beside its wires
// (the keeper of a supervised wire, in the root package), with the
// interface's inline mailbox; it fails with ErrClosed once the interface
// is closing. The root stops it as it stops, after its wires' ends began.
func (s *System) SpawnChild(prefix string, p actor.Producer) (*actor.PID, error) {
	reply := make(chan *actor.PID, 1)
	s.as.Root.Send(s.root, &spawnChildMsg{props: actor.PropsFromProducer(p, actor.WithMailbox(newInlineMailbox)), prefix: prefix, reply: reply})
	pid, ok := fromRoot(s, reply)
	if !ok || pid == nil {
		return nil, ErrClosed
	}
	return pid, nil
}

// fromRoot returns the root's answer on reply, or ok false if the root
// has stopped without taking the message: a message to a stopped actor is
// dropped, and Close may stop the root between a caller's check that the
// system is open and its message. An answer the root gave just before it
// stopped is returned.
func fromRoot[T any](s *System, reply chan T) (v T, ok bool) {
	select {
	case v = <-reply:
		return v, true
	case <-s.rootDone:
		select {
		case v = <-reply:
			return v, true
		default:
			return v, false
		}
	}
}

// testHookConnectSpawns is called by Connect just before it asks the root
// to spawn the wire's actor (tests set it; see export_test.go).
var testHookConnectSpawns = func() {}

// Send sends msg to pid from outside the actor tree (a goroutine, a timer).
func (s *System) Send(pid *actor.PID, msg any) { s.as.Root.Send(pid, msg) }

// StopChild stops an actor spawned with SpawnChild and returns once it has
// stopped. It must not be called from inside an actor.
func (s *System) StopChild(pid *actor.PID) { _ = s.as.Root.StopFuture(pid).Wait() }

// stopAdding runs mark, which stops Connect from adding wires, and returns
// the wires there are, both under the system's lock.
func (s *System) stopAdding(mark func()) []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	mark()
	wires := make([]*Conn, 0, len(s.wires))
	for w := range s.wires {
		wires = append(wires, w)
	}
	return wires
}

// Drain makes no new wire (Connect fails with ErrShutdown), has every wire
// take no new calls (Conn.Drain), and waits until no call is open on any
// of them or ctx ends (it then returns ctx's cause). Closing the system is
// the caller's next step.
func (s *System) Drain(ctx context.Context) error {
	wires := s.stopAdding(func() { s.draining = true })
	for _, w := range wires {
		w.Drain()
	}
	for _, w := range wires {
		if err := w.waitQuiet(ctx); err != nil {
			return err
		}
	}
	return nil
}

// rootActor is the interface root: it spawns wires as its children and
// supervises them (a failed wire is stopped, never restarted).
type rootActor struct {
	s        *System
	stopping bool
}

func (r *rootActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *spawnWireMsg:
		if r.stopping {
			m.reply <- ErrClosed
			return
		}
		w := m.w
		pid := ctx.SpawnPrefix(actor.PropsFromProducer(
			func() actor.Actor { return &wireActor{w: w} },
			actor.WithMailbox(func() actor.Mailbox { w.mailbox = &inlineMailbox{}; return w.mailbox }),
			actor.WithSupervisor(supervision.EscalateNamed(supervision.StopOnFailure(r.s.callFailed), "reader")),
		), "wire")
		r.s.mu.Lock()
		r.s.byPID[pid] = w
		r.s.mu.Unlock()
		m.reply <- nil
	case *spawnChildMsg:
		if r.stopping {
			m.reply <- nil
			return
		}
		m.reply <- ctx.SpawnPrefix(m.props, m.prefix)
	case *actor.Terminated:
		r.s.mu.Lock()
		w := r.s.byPID[m.Who]
		if w != nil {
			delete(r.s.byPID, m.Who)
			delete(r.s.wires, w)
		}
		r.s.mu.Unlock()
		if w != nil && r.s.ended != nil {
			r.s.ended(w)
		}
	case *actor.Stopping:
		r.stopping = true
	case *actor.Stopped:
		close(r.s.rootDone)
	}
}

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }

// registryBuckets is how many buckets the process registry of an ipfi
// actor system has (protoactor makes 1024, each a concurrent map of 32
// shards: 32,768 Go maps, about 3 MB, that every garbage collection scans).
// 16 buckets of 32 shards still spread lock contention over 512 shards.
const registryBuckets = 16

// shrinkRegistry gives a fresh actor system a smaller process registry,
// moving over the processes the system registered itself (the event stream,
// dead letters). It must run before anything else uses the system.
func shrinkRegistry(as *actor.ActorSystem) {
	old := as.ProcessRegistry.LocalPIDs
	small := &actor.SliceMap{LocalPIDs: make([]cmap.ConcurrentMap, registryBuckets)}
	for i := range small.LocalPIDs {
		small.LocalPIDs[i] = cmap.New()
	}
	for _, bucket := range old.LocalPIDs {
		if bucket.Count() == 0 {
			continue // IterBuffered starts a goroutine per shard: only where needed
		}
		for item := range bucket.IterBuffered() {
			small.GetBucket(item.Key).Set(item.Key, item.Val)
		}
	}
	as.ProcessRegistry.LocalPIDs = small
}
