package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/supervision"
)

// member is the client's side of one member: its supervised wire, its
// health, and its calls open.
type member struct {
	m       Member
	sup     *ipfi.Supervised
	open    atomic.Int64 // calls open on it
	healthy atomic.Bool  // its last health check answered (true until one fails)
	// sick ends when the member goes out of rotation (setHealthy); a new
	// one is made when it comes back.
	sickMu sync.Mutex
	sick   context.Context
	sicken context.CancelFunc
	stop   chan struct{}
	done   chan struct{} // closed as the health loop returns
	once   sync.Once
}

// startMember supervises a wire to m and starts its health loop. Called
// with c.mu held.
func (c *Client) startMember(m Member) (*member, error) {
	nm := &member{m: m, stop: make(chan struct{}), done: make(chan struct{})}
	nm.healthy.Store(true)
	nm.sick, nm.sicken = context.WithCancel(context.Background())
	dial := func(ctx context.Context) (*ipfi.Wire, error) {
		w, err := c.cfg.Dial(ctx, m)
		if err == nil && w.Label() == "" {
			w.SetLabel(m.ID)
		}
		return w, err
	}
	events := func(e supervision.Event) {
		c.logger.Info("cluster: member wire", "member", m.ID, "event", e.String())
		c.mu.Lock()
		c.poke()
		c.mu.Unlock()
	}
	sup, err := c.cfg.Interface.Supervise(context.Background(), dial, c.cfg.Restart, events)
	if err != nil {
		return nil, err
	}
	nm.sup = sup
	go c.checkHealth(nm)
	return nm, nil
}

// wire returns the member's wire if it is up, without waiting.
func (m *member) wire() *ipfi.Wire {
	w, err := m.sup.Wire(doneCtx)
	if err != nil {
		return nil
	}
	return w
}

// ready reports whether the member takes calls: its wire is up and its
// health checks answer.
func (m *member) ready() bool {
	return m.healthy.Load() && m.sup.State() == ipfi.SupervisedUp
}

// errOutOfRotation is the cause an idempotent attempt is cancelled with
// when its member goes out of rotation: the call is made again elsewhere.
var errOutOfRotation = errors.New("cluster: the member went out of rotation")

// do runs a call's do on the member's wire, counting it open. An
// idempotent call's context is cancelled (errOutOfRotation) if the member
// goes out of rotation while it is open; the error then says so.
func (m *member) do(ctx context.Context, idempotent bool, do func(context.Context, *ipfi.Wire) error) error {
	w := m.wire()
	if w == nil {
		return errNotUp
	}
	m.open.Add(1)
	defer m.open.Add(-1)
	if !idempotent {
		return do(ctx, w)
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	m.sickMu.Lock()
	sick := m.sick
	m.sickMu.Unlock()
	stop := context.AfterFunc(sick, func() { cancel(errOutOfRotation) })
	defer stop()
	err := do(actx, w)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), errOutOfRotation) {
		return fmt.Errorf("%w: %w", errOutOfRotation, err)
	}
	return err
}

// setHealthy records a health check's result and reports whether it
// changed the member's health. Going out of rotation cancels the
// idempotent calls open on it (do).
func (m *member) setHealthy(ok bool) bool {
	if m.healthy.Swap(ok) == ok {
		return false
	}
	m.sickMu.Lock()
	defer m.sickMu.Unlock()
	if ok {
		m.sick, m.sicken = context.WithCancel(context.Background())
	} else {
		m.sicken()
	}
	return true
}

// close stops the health loop and closes the supervised wire; it returns
// once both have ended. Idempotent.
func (m *member) close() {
	m.once.Do(func() {
		close(m.stop)
		<-m.done
		_ = m.sup.Close()
		m.sickMu.Lock()
		m.sicken()
		m.sickMu.Unlock()
	})
}

// doneCtx is a context that has ended: Supervised.Wire with it returns the
// wire that is up, or fails at once.
var doneCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()
