package ipfi

import (
	"context"
	"time"

	"github.com/ipfi-go/ipfi/ipfidebug"
	"github.com/ipfi-go/ipfi/procedures"
)

// The names below stay only while cmd/ipfi's serve.go and bench.go and
// examples/morse are edited by another engineer; this file goes once they
// use the new ones.

// SnapshotIndex is ipfidebug.SnapshotIndex.
const SnapshotIndex = ipfidebug.SnapshotIndex

// ExposeSnapshot is ipfidebug.Expose(i, idx).
func (i *Interface) ExposeSnapshot(idx procedures.Index) error { return ipfidebug.Expose(i, idx) }

// WithCloseGrace sets Timeouts.CloseGrace (after WithTimeouts).
func WithCloseGrace(d time.Duration) Option {
	return interfaceOption("WithCloseGrace", func(c *config) { c.timeouts.CloseGrace = d })
}

// CallRaw is Call[Raw](ctx, w, proc, Raw(payload)).
func (w *Wire) CallRaw(ctx context.Context, proc procedures.Index, payload []byte) ([]byte, error) {
	return Call[Raw](ctx, w, proc, Raw(payload))
}

// ServeStdio connects the process's stdio (ConnectStdio), waits until the
// wire or ctx ends, closes the interface and returns the wire's cause.
func (i *Interface) ServeStdio(ctx context.Context, opts ...Option) error {
	w, err := i.ConnectStdio(opts...)
	if err != nil {
		return err
	}
	select {
	case <-w.Done():
	case <-ctx.Done():
		_ = w.Close()
		_ = i.Close()
		return context.Cause(ctx)
	}
	cause := w.Err()
	_ = i.Close()
	return cause
}
