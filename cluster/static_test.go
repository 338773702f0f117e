package cluster

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestStaticReportsOnceThenWaits: Watch reports the members once, sorted
// by ID with Network and ID filled in, keeps running until ctx is
// cancelled, then returns ctx's error, having called update exactly once.
func TestStaticReportsOnceThenWaits(t *testing.T) {
	tags := map[string]string{"zone": "b"}
	r := Static(
		Member{Addr: "10.0.0.2:7000"},
		Member{ID: "a", Network: "unix", Addr: "/run/a.sock", Tags: tags},
		Member{ID: "c", Addr: "10.0.0.3:7000"},
	)
	want := []Member{
		{ID: "10.0.0.2:7000", Network: "tcp", Addr: "10.0.0.2:7000"},
		{ID: "a", Network: "unix", Addr: "/run/a.sock", Tags: tags},
		{ID: "c", Network: "tcp", Addr: "10.0.0.3:7000"},
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	updates := make(chan []Member, 4)
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx, func(ms []Member) { updates <- ms }) }()

	select {
	case got := <-updates:
		if !slices.EqualFunc(got, want, Member.Equal) {
			t.Fatalf("update = %v, want %v", got, want)
		}
	case err := <-done:
		t.Fatalf("Watch returned %v before reporting", err)
	case <-ctx.Done():
		t.Fatal("no update within 5 s")
	}
	select {
	case err := <-done:
		t.Fatalf("Watch returned %v before ctx was cancelled", err)
	default:
	}

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Watch returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return within 5 s of cancel")
	}
	if n := len(updates); n != 0 {
		t.Fatalf("%d more updates after the first, want none", n)
	}
}

// TestStaticCopies: neither the caller's slice given to Static nor a slice
// an update modifies changes what a later Watch reports.
func TestStaticCopies(t *testing.T) {
	in := []Member{{ID: "a", Addr: "10.0.0.1:7000"}}
	r := Static(in...)
	in[0].Addr = "changed by caller"
	want := []Member{{ID: "a", Network: "tcp", Addr: "10.0.0.1:7000"}}

	for i := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		var got []Member
		err := r.Watch(ctx, func(ms []Member) {
			got = slices.Clone(ms)
			ms[0].Addr = "changed by update"
			cancel()
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Watch %d returned %v, want context.Canceled", i, err)
		}
		if !slices.EqualFunc(got, want, Member.Equal) {
			t.Fatalf("Watch %d reported %v, want %v", i, got, want)
		}
	}
}

// TestStaticEndedContext: Watch with a ctx that has ended returns its
// error at once and reports nothing.
func TestStaticEndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Static(Member{Addr: "10.0.0.1:7000"}).Watch(ctx, func([]Member) {
		t.Error("update called with ctx ended")
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v, want context.Canceled", err)
	}
}
