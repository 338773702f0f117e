package ipfi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/supervision"
)

// TestSupervisedState: State answers at once, whatever the Supervised is
// doing: connecting while the first dial blocks, up once it has made a
// wire, restarting as soon as that wire has ended (the server closed its
// end) and while the policy's delay runs, closed after Close.
func TestSupervisedState(t *testing.T) {
	server := greetServer(t)
	client := newInterface(t)
	defer client.Close()
	d := newPipeDialer(client, server, 0, nil)
	release := make(chan struct{})
	dial := func(ctx context.Context) (*ipfi.Wire, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return d.dial(ctx)
	}
	events := newEventLog()
	ctx := supBounded(t, 10*time.Second)
	// An hour's delay: once the wire has ended, it stays restarting.
	sup, err := client.Supervise(ctx, dial, supervision.Restart{Initial: time.Hour}, events.record)
	must(t, err)
	defer sup.Close()
	state := func(want ipfi.SupervisedState) {
		t.Helper()
		if got := sup.State(); got != want {
			t.Fatalf("State = %v, want %v", got, want)
		}
	}
	state(ipfi.SupervisedConnecting) // the dial is blocked
	close(release)
	events.expect(ctx, t, supervision.Event{Kind: supervision.Up})
	state(ipfi.SupervisedUp)
	w, err := sup.Wire(ctx)
	must(t, err)
	must(t, (<-d.serverEnds).Close())
	<-w.Done()
	state(ipfi.SupervisedRestarting) // before the keeper has seen the end, too
	events.expect(ctx, t, supervision.Event{Kind: supervision.Down, Err: ipfi.ErrPeerTerminated})
	state(ipfi.SupervisedRestarting)
	must(t, sup.Close())
	state(ipfi.SupervisedClosed)
	if _, err := sup.Wire(ctx); !errors.Is(err, ipfi.ErrClosed) {
		t.Fatalf("Wire after Close: %v, want ErrClosed", err)
	}
}

// TestSupervisedClosedWithItsInterface: closing the interface closes its
// Supervised: State says closed, and a waiter, blocked while the dial is,
// returns ErrClosed rather than waiting for its context.
func TestSupervisedClosedWithItsInterface(t *testing.T) {
	client := newInterface(t)
	defer client.Close()
	dialling := make(chan struct{})
	dial := func(ctx context.Context) (*ipfi.Wire, error) {
		close(dialling)
		<-ctx.Done() // a dial that ends only when told to
		return nil, ctx.Err()
	}
	ctx := supBounded(t, 10*time.Second)
	sup, err := client.Supervise(ctx, dial, supervision.Restart{}, nil)
	must(t, err)
	defer sup.Close()
	waited := make(chan error, 1)
	go func() {
		_, err := sup.Wire(ctx)
		waited <- err
	}()
	<-dialling
	must(t, client.Close())
	if st := sup.State(); st != ipfi.SupervisedClosed {
		t.Fatalf("State after the interface's Close: %v, want %v", st, ipfi.SupervisedClosed)
	}
	if err := <-waited; !errors.Is(err, ipfi.ErrClosed) {
		t.Fatalf("Wire waiting as the interface closed: %v, want ErrClosed", err)
	}
}

// TestSupervisedStateString pins the names of the states.
func TestSupervisedStateString(t *testing.T) {
	for st, want := range map[ipfi.SupervisedState]string{
		ipfi.SupervisedConnecting: "connecting",
		ipfi.SupervisedUp:         "up",
		ipfi.SupervisedRestarting: "restarting",
		ipfi.SupervisedGaveUp:     "gave up",
		ipfi.SupervisedClosed:     "closed",
		ipfi.SupervisedState(0):   "SupervisedState(0)",
	} {
		if got := st.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(st), got, want)
		}
	}
}
