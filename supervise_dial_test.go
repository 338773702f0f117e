package ipfi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/supervision"
)

var errRefused = errors.New("test: connection refused")

// greetServer returns an interface serving Greet at index 1, closed when
// the test ends.
func greetServer(t *testing.T) *ipfi.Interface {
	t.Helper()
	server := newInterface(t)
	t.Cleanup(func() { server.Close() })
	must(t, ipfi.Proc1[string, string]{Index: 1}.Register(server, func(_ context.Context, name string) (string, error) {
		return "Hello, " + name + "!", nil
	}))
	return server
}

// TestSupervisedFirstDialFailsThenUp: a first dial that fails is not
// Supervise's error: the policy's delay and further dials follow, each
// failure is a Down event carrying the dial's error, and once a dial
// succeeds calls go through.
func TestSupervisedFirstDialFailsThenUp(t *testing.T) {
	server := greetServer(t)
	client := newInterface(t)
	defer client.Close()
	d := newPipeDialer(client, server, 2, errRefused)
	events := newEventLog()
	ctx := supBounded(t, 10*time.Second)
	sup, err := client.Supervise(ctx, d.dial, supervision.Restart{Initial: time.Millisecond}, events.record)
	if err != nil {
		t.Fatalf("Supervise with a first dial that fails: %v, want the dial retried", err)
	}
	defer sup.Close()
	// The call waits for the wire within ctx, then goes through it.
	if got, err := ipfi.Call[string](ctx, sup, 1, "x"); err != nil || got != "Hello, x!" {
		t.Fatalf("call through the Supervised: %q, %v", got, err)
	}
	events.expect(ctx, t,
		supervision.Event{Kind: supervision.Down, Err: errRefused, Restarts: 0},
		supervision.Event{Kind: supervision.Down, Err: errRefused, Restarts: 1},
		supervision.Event{Kind: supervision.Up, Restarts: 2},
	)
	if n := d.count(); n != 3 {
		t.Fatalf("%d dials, want 3", n)
	}
}

// TestSupervisedGivesUpOnFirstDial: a dial that never succeeds is retried
// until the policy gives up; then waiters and calls get an error matching
// ErrGaveUp that wraps the last dial's failure, and State says so.
func TestSupervisedGivesUpOnFirstDial(t *testing.T) {
	client := newInterface(t)
	defer client.Close()
	d := newPipeDialer(client, nil, 1<<30, errRefused)
	events := newEventLog()
	ctx := supBounded(t, 10*time.Second)
	sup, err := client.Supervise(ctx, d.dial, supervision.Restart{Initial: time.Millisecond, MaxRestarts: 2}, events.record)
	if err != nil {
		t.Fatalf("Supervise with a first dial that fails: %v, want the dial retried", err)
	}
	defer sup.Close()
	events.expect(ctx, t,
		supervision.Event{Kind: supervision.Down, Err: errRefused, Restarts: 0},
		supervision.Event{Kind: supervision.Down, Err: errRefused, Restarts: 1},
		supervision.Event{Kind: supervision.Down, Err: errRefused, Restarts: 2},
		supervision.Event{Kind: supervision.GaveUp, Err: errRefused, Restarts: 2},
	)
	if st := sup.State(); st != ipfi.SupervisedGaveUp {
		t.Fatalf("State once the policy gave up: %v, want %v", st, ipfi.SupervisedGaveUp)
	}
	if _, err := sup.Wire(ctx); !errors.Is(err, ipfi.ErrGaveUp) || !errors.Is(err, errRefused) {
		t.Fatalf("Wire once the policy gave up: %v, want ErrGaveUp wrapping the dial's error", err)
	}
	if _, err := ipfi.Call[string](ctx, sup, 1, "x"); !errors.Is(err, ipfi.ErrGaveUp) || !errors.Is(err, errRefused) {
		t.Fatalf("Call once the policy gave up: %v, want ErrGaveUp wrapping the dial's error", err)
	}
	if n := d.count(); n != 3 {
		t.Fatalf("%d dials, want 3 (the first and 2 restarts)", n)
	}
}

// TestSuperviseRefuses: what cannot work at all is Supervise's error, and
// nothing is dialled: a nil dial (ErrNoDial), a policy Validate rejects
// (supervision.ErrInvalidPolicy), a closed interface (ErrClosed).
func TestSuperviseRefuses(t *testing.T) {
	ctx := supBounded(t, 10*time.Second)
	for _, tc := range []struct {
		name    string
		nilDial bool
		policy  supervision.Restart
		closed  bool
		want    error
	}{
		{name: "nil dial", nilDial: true, want: ipfi.ErrNoDial},
		{name: "negative Initial", policy: supervision.Restart{Initial: -time.Second}, want: supervision.ErrInvalidPolicy},
		{name: "Initial above Max", policy: supervision.Restart{Initial: time.Second, Max: time.Millisecond}, want: supervision.ErrInvalidPolicy},
		{name: "closed interface", closed: true, want: ipfi.ErrClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := newInterface(t)
			defer client.Close()
			if tc.closed {
				must(t, client.Close())
			}
			dialled := false
			dial := func(context.Context) (*ipfi.Wire, error) {
				dialled = true
				return nil, errRefused
			}
			if tc.nilDial {
				dial = nil
			}
			sup, err := client.Supervise(ctx, dial, tc.policy, nil)
			if !errors.Is(err, tc.want) || sup != nil {
				t.Fatalf("Supervise: %v, %v; want nil, an error matching %v", sup, err, tc.want)
			}
			if dialled {
				t.Fatal("Supervise dialled")
			}
		})
	}
}

// TestSupervisedDialThatPanicsIsAFailedDial: a dial function that panics
// does not end the program: the dial counts as failed (a Down event with an
// error matching ErrDialPanicked) and the policy's next dial follows.
func TestSupervisedDialThatPanicsIsAFailedDial(t *testing.T) {
	server := greetServer(t)
	client := newInterface(t)
	defer client.Close()
	d := newPipeDialer(client, server, 0, nil)
	panicked := false
	dial := func(ctx context.Context) (*ipfi.Wire, error) {
		if !panicked { // dials run one at a time
			panicked = true
			panic("test: the dial function's bug")
		}
		return d.dial(ctx)
	}
	events := newEventLog()
	ctx := supBounded(t, 10*time.Second)
	sup, err := client.Supervise(ctx, dial, supervision.Restart{Initial: time.Millisecond}, events.record)
	must(t, err)
	defer sup.Close()
	if got, err := ipfi.Call[string](ctx, sup, 1, "x"); err != nil || got != "Hello, x!" {
		t.Fatalf("call through the Supervised: %q, %v", got, err)
	}
	events.expect(ctx, t,
		supervision.Event{Kind: supervision.Down, Err: ipfi.ErrDialPanicked, Restarts: 0},
		supervision.Event{Kind: supervision.Up, Restarts: 1},
	)
}
