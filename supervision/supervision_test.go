package supervision_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi/supervision"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newSystem(t *testing.T) *actor.ActorSystem {
	t.Helper()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	t.Cleanup(sys.Shutdown)
	return sys
}

var syncDispatch = actor.NewSynchronizedDispatcher(300)

// boom is a message that makes a child panic.
type boom struct{}

// spawnChild returns a message that makes the parent spawn a child with the
// given name and report its PID.
type spawnChild struct {
	name  string
	reply chan *actor.PID
}

type parent struct {
	stopped chan *actor.PID
}

func (p *parent) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *spawnChild:
		pid, err := ctx.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
			if _, ok := c.Message().(*boom); ok {
				panic("boom")
			}
		}, actor.WithDispatcher(syncDispatch)), m.name)
		if err != nil {
			panic(err)
		}
		m.reply <- pid
	case *actor.Terminated:
		p.stopped <- m.Who
	}
}

// TestStopOnFailureStopsOnlyTheFailingChild: the failing child stops, its
// sibling stays, the failure is reported once with the Stop directive.
func TestStopOnFailureStopsOnlyTheFailingChild(t *testing.T) {
	sys := newSystem(t)
	var mu sync.Mutex
	var reports []supervision.Failure
	stopped := make(chan *actor.PID, 4)
	par := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &parent{stopped: stopped} },
		actor.WithDispatcher(syncDispatch),
		actor.WithSupervisor(supervision.StopOnFailure(func(f supervision.Failure) {
			mu.Lock()
			reports = append(reports, f)
			mu.Unlock()
		}))))
	defer sys.Root.Stop(par)
	reply := make(chan *actor.PID, 2)
	sys.Root.Send(par, &spawnChild{"a", reply})
	sys.Root.Send(par, &spawnChild{"b", reply})
	a, b := <-reply, <-reply

	sys.Root.Send(a, &boom{})
	select {
	case who := <-stopped:
		if who.Id != a.Id {
			t.Fatalf("stopped %s, want %s", who.Id, a.Id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("failing child not stopped within 5s")
	}
	select {
	case who := <-stopped:
		t.Fatalf("sibling %s stopped too", who.Id)
	default:
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 1 || reports[0].Child.Id != a.Id || reports[0].Directive != actor.StopDirective || reports[0].Reason != "boom" {
		t.Fatalf("reports = %+v", reports)
	}
	_ = b
}

// TestEscalateNamedFailsTheSupervisor: a named child's failure escalates
// (the parent itself fails and its supervisor stops it); another child's
// failure goes to the fallback strategy.
func TestEscalateNamedFailsTheSupervisor(t *testing.T) {
	sys := newSystem(t)
	parentStopped := make(chan supervision.Failure, 2)
	fallback := make(chan supervision.Failure, 2)
	// grandparent: stops a failed parent and reports it.
	grand := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if m, ok := ctx.Message().(*actor.Props); ok {
			ctx.Respond(ctx.Spawn(m))
		}
	}, actor.WithDispatcher(syncDispatch), actor.WithSupervisor(supervision.StopOnFailure(func(f supervision.Failure) {
		parentStopped <- f
	}))))
	defer sys.Root.Stop(grand)
	stopped := make(chan *actor.PID, 4)
	parentProps := actor.PropsFromProducer(func() actor.Actor { return &parent{stopped: stopped} },
		actor.WithDispatcher(syncDispatch),
		actor.WithSupervisor(supervision.EscalateNamed(supervision.StopOnFailure(func(f supervision.Failure) {
			fallback <- f
		}), "parser", "reader")))
	res, err := sys.Root.RequestFuture(grand, parentProps, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	par := res.(*actor.PID)
	reply := make(chan *actor.PID, 2)
	sys.Root.Send(par, &spawnChild{"call1", reply})
	sys.Root.Send(par, &spawnChild{"parser", reply})
	call, parser := <-reply, <-reply

	sys.Root.Send(call, &boom{})
	select {
	case f := <-fallback:
		if f.Child.Id != call.Id {
			t.Fatalf("fallback got %s", f.Child.Id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("unnamed child's failure did not reach the fallback")
	}
	select {
	case f := <-parentStopped:
		t.Fatalf("parent failed on an unnamed child's failure: %+v", f)
	default:
	}

	sys.Root.Send(parser, &boom{})
	select {
	case f := <-parentStopped:
		if f.Child.Id != par.Id || f.Reason != "boom" {
			t.Fatalf("grandparent report = %+v", f)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("named child's failure did not escalate")
	}
}

// TestRestartPolicy: the delay starts at Initial and doubles up to Max
// (by default 10s, or Initial if longer); MaxRestarts within Window gives
// up; restarts older than Window no longer count.
func TestRestartPolicy(t *testing.T) {
	r := supervision.Restart{Initial: 10 * time.Millisecond, Max: 35 * time.Millisecond, MaxRestarts: 3, Window: time.Minute}
	now := time.Now()
	var done []time.Time
	for i, want := range []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 35 * time.Millisecond} {
		d, ok := r.Next(done, now)
		if !ok || d != want {
			t.Fatalf("restart %d: %v, %v; want %v", i, d, ok, want)
		}
		done = append(done, now)
	}
	if _, ok := r.Next(done, now); ok {
		t.Fatal("a fourth restart within the window was allowed")
	}
	if d, ok := r.Next(done, now.Add(2*time.Minute)); !ok || d != 10*time.Millisecond {
		t.Fatalf("after the window: %v, %v; want a restart after Initial", d, ok)
	}
	if _, ok := (supervision.Restart{MaxRestarts: -1}).Next(make([]time.Time, 1000), now); !ok {
		t.Fatal("an unlimited policy gave up")
	}
	// An Initial longer than the default Max (10s) is the delay.
	if d, ok := (supervision.Restart{Initial: time.Hour}).Next(done[:1], now); !ok || d != time.Hour {
		t.Fatalf("Initial 1h with the default Max: %v, %v; want 1h", d, ok)
	}
}

// TestRestartValidate: a policy with a negative duration, or whose Initial
// delay exceeds the Max given, is refused with an error matching
// ErrInvalidPolicy that names the field; zero fields, an Initial longer
// than the default Max and an unlimited MaxRestarts are valid.
func TestRestartValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		r     supervision.Restart
		field string // "" if valid
	}{
		{"zero", supervision.Restart{}, ""},
		{"set", supervision.Restart{Initial: time.Millisecond, Max: time.Second, MaxRestarts: 3, Window: time.Minute}, ""},
		{"unlimited", supervision.Restart{MaxRestarts: -1}, ""},
		{"Initial equal to Max", supervision.Restart{Initial: time.Second, Max: time.Second}, ""},
		{"negative Initial", supervision.Restart{Initial: -time.Millisecond}, "Initial"},
		{"negative Max", supervision.Restart{Max: -time.Millisecond}, "Max"},
		{"negative Window", supervision.Restart{Window: -time.Minute}, "Window"},
		{"Initial above Max", supervision.Restart{Initial: time.Second, Max: time.Millisecond}, "Initial"},
		{"Initial above the default Max", supervision.Restart{Initial: time.Minute}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, supervision.ErrInvalidPolicy) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Validate: %v, want ErrInvalidPolicy naming %s", err, tc.field)
			}
		})
	}
}
