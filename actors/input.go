package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// input holds the arguments of a bidirectional call as they arrive (its
// call actor adds them) until the procedure takes them value by value
// (next, on the procedure's goroutine), granting the caller credit as it
// does.
type input struct {
	w      *Conn
	key    callKey
	mu     sync.Mutex
	buf    []byte
	eof    bool            // the caller's Complete piece arrived: no more will come
	closed bool            // the call ended (or its unread arguments passed the limit): next fails
	win    core.RecvWindow // argument credit, granted back as the procedure takes values
	notify chan struct{}
}

func newInput(w *Conn, key callKey) *input {
	return &input{w: w, key: key, win: core.FixedWindow(), notify: make(chan struct{}, 1)}
}

// add appends a piece of the arguments (call actor); last marks the
// caller's final piece.
func (in *input) add(p []byte, last bool) {
	in.mu.Lock()
	switch {
	case in.closed:
	case in.w.holdInput(len(in.buf), len(p)) != nil:
		// Unread arguments over a limit: the procedure's next read fails.
		in.closeLocked()
	default:
		in.buf = append(in.buf, p...)
	}
	in.eof = in.eof || last
	in.mu.Unlock()
	in.wake()
}

// close makes the procedure's next read fail (call actor, as the call ends).
func (in *input) close() {
	in.mu.Lock()
	in.closeLocked()
	in.mu.Unlock()
	in.wake()
}

// closeLocked closes the input and drops its unread arguments, which no
// longer count in the wire's (Limits.MaxWireArgs). Called with mu held.
func (in *input) closeLocked() {
	if !in.closed {
		in.closed = true
		in.w.argBytes.Add(-int64(len(in.buf)))
		in.buf = nil
	}
}

func (in *input) wake() {
	select {
	case in.notify <- struct{}{}:
	default:
	}
}

// next returns the next complete value (procedure side): valid until the
// next call, io.EOF after the last one. It blocks until a value is
// complete, the arguments end, or ctx ends.
func (in *input) next(ctx context.Context) ([]byte, error) {
	for {
		in.mu.Lock()
		n, err := codec.ValueLen(in.buf)
		switch {
		case err == nil:
			v := in.buf[:n:n]
			in.buf = in.buf[n:]
			in.w.argBytes.Add(-int64(n))
			var grant int64
			if !in.eof {
				grant = in.win.Consumed(int64(n))
			}
			in.mu.Unlock()
			in.w.grant(ctx, wire.KindArgumentCredit, in.key, grant)
			return v, nil
		case !errors.Is(err, codec.ErrIncomplete):
			in.mu.Unlock()
			return nil, fmt.Errorf("%w: %w", procedures.ErrBadArguments, unprefixed(err))
		case in.closed:
			in.mu.Unlock()
			if err := ctx.Err(); err != nil {
				return nil, context.Cause(ctx)
			}
			return nil, ErrLimit
		case in.eof:
			rest := len(in.buf)
			in.mu.Unlock()
			if rest > 0 {
				return nil, fmt.Errorf("%w: %d bytes of a truncated value", procedures.ErrBadArguments, rest)
			}
			return nil, io.EOF
		}
		in.mu.Unlock()
		select {
		case <-in.notify:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}
