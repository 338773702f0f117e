package ipfi_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/supervision"
)

// supBounded returns a context that ends after d or when the test ends.
func supBounded(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// pipeDialer is a dial function for Supervise: its first fails calls
// return failErr, later ones join client to server in memory
// (ipfitest.Pipe) and hand the server's end on serverEnds. It counts its
// calls.
type pipeDialer struct {
	client, server *ipfi.Interface
	fails          int
	failErr        error
	serverEnds     chan *ipfi.Wire

	mu    sync.Mutex
	calls int
}

func newPipeDialer(client, server *ipfi.Interface, fails int, failErr error) *pipeDialer {
	return &pipeDialer{client: client, server: server, fails: fails, failErr: failErr, serverEnds: make(chan *ipfi.Wire, 16)}
}

func (d *pipeDialer) dial(context.Context) (*ipfi.Wire, error) {
	d.mu.Lock()
	d.calls++
	n := d.calls
	d.mu.Unlock()
	if n <= d.fails {
		return nil, d.failErr
	}
	wa, wb, err := ipfitest.Pipe(d.client, d.server)
	if err != nil {
		return nil, err
	}
	d.serverEnds <- wb
	return wa, nil
}

func (d *pipeDialer) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls
}

// eventLog records a Supervised's events on a channel (buffered: the
// keeper must not block on it).
type eventLog chan supervision.Event

func newEventLog() eventLog { return make(eventLog, 64) }

func (l eventLog) record(e supervision.Event) { l <- e }

// next returns the next event, failing the test if none comes before ctx
// ends.
func (l eventLog) next(ctx context.Context, t testing.TB) supervision.Event {
	t.Helper()
	select {
	case e := <-l:
		return e
	case <-ctx.Done():
		t.Fatalf("no supervision event: %v", context.Cause(ctx))
		return supervision.Event{}
	}
}

// expect reads the next events and checks their kinds, restart counts and
// (for those with one) that their Err matches want.
func (l eventLog) expect(ctx context.Context, t testing.TB, want ...supervision.Event) {
	t.Helper()
	for i, w := range want {
		e := l.next(ctx, t)
		if e.Kind != w.Kind || e.Restarts != w.Restarts || (w.Err == nil) != (e.Err == nil) || (w.Err != nil && !errors.Is(e.Err, w.Err)) {
			t.Fatalf("event %d: %s (restarts %d, err %v); want %s (restarts %d, err %v)", i, e.Kind, e.Restarts, e.Err, w.Kind, w.Restarts, w.Err)
		}
	}
}
