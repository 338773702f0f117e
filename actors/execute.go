package actors

import (
	"context"
	"runtime/debug"

	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// execute invokes the call's procedure with its arguments and answers the
// call. It returns a *ProcedureFailure if the procedure panicked (the
// caller is answered with an error all the same). It runs on a worker
// goroutine of the wire (block is true), or inside the call actor's
// Receive for a quick procedure, whose answer is appended without blocking
// (block is false).
func (c *inCall) execute(ctx context.Context, args []byte, block bool) (failure *ProcedureFailure) {
	defer func() {
		if r := recover(); r != nil {
			pf := &ProcedureFailure{Procedure: c.key.proc, Call: c.key.call, Panic: r, Stack: debug.Stack()}
			_ = c.answer(nil, pf, block)
			failure = pf
		}
	}()
	if icpt := c.w.sys.intercept; icpt != nil {
		c.out = &CallOut{}
		info := CallInfo{Procedure: c.key.proc, Call: c.key.call, Owner: c.w.owner, ArgBytes: len(args), Metadata: c.metadata(), Out: c.out}
		err := icpt(ctx, info, func(ctx context.Context) error { return c.run(ctx, args, block) })
		if err != nil {
			// Refused by an interceptor (or failed after the answer:
			// then the first answer stands).
			_ = c.answer(nil, err, block)
		}
		return nil
	}
	_ = c.run(ctx, args, block)
	return nil
}

// CallInfo describes a call the peer made, for an interceptor
// (Config.Intercept).
type CallInfo struct {
	Procedure, Call uint64
	Owner           any      // the wire's WireOptions.Owner
	ArgBytes        int      // the arguments' size (0 for a bidirectional procedure's, which arrive as it runs)
	Metadata        []string // the call's metadata, keys and values in turn
	Out             *CallOut // the response as it is sent
}

// CallOut counts what a served call's response has sent: its payload
// bytes, and its values (a unary procedure's one, a stream's each). The
// procedure's goroutine writes it; an interceptor reads it once next has
// returned, on that same goroutine.
type CallOut struct {
	Bytes  int64
	Values int64
}

// run runs the call's procedure and answers the call; it returns the
// procedure's error (nil if it succeeded).
func (c *inCall) run(ctx context.Context, args []byte, block bool) error {
	switch c.proc.Kind() {
	case procedures.KindSequence, procedures.KindBidi:
		return c.runSequence(ctx, args)
	case procedures.KindRawStream:
		return c.runRawStream(ctx, args)
	}
	out, err := c.proc.Invoke(ctx, args)
	_ = c.answer(out, err, block)
	c.proc.Release(out) // written or copied: the procedure may reuse it
	return err
}

// sender writes the non-final response messages of one streaming
// procedure, first waiting for flow-control credit when the caller speaks
// the extensions (a message may overdraw the credit by its own size). The
// procedure's goroutine owns it.
type sender struct {
	c    *inCall
	ctx  context.Context
	done <-chan struct{} // ctx.Done(), looked up once
}

func newSender(ctx context.Context, c *inCall) *sender {
	return &sender{c: c, ctx: ctx, done: ctx.Done()}
}

func (s *sender) send(payload []byte, t wire.Terminator) error {
	if s.ctx.Err() != nil { // an atomic load: cheaper per value than a select on done
		return context.Cause(s.ctx)
	}
	if o := s.c.out; o != nil {
		o.Bytes += int64(len(payload))
		if t == wire.TermChunk {
			o.Values++
		}
	}
	if win := s.c.resp; win != nil {
		for !win.ready() {
			select {
			case <-win.granted():
			case <-s.done:
				return context.Cause(s.ctx)
			}
		}
		win.spend(len(payload))
	}
	return s.c.w.out.queue(s.ctx, wire.KindResponse, t, s.c.key.proc, s.c.key.call, payload)
}

// sendChunk sends one value of a sequence.
func (s *sender) sendChunk(v []byte) error { return s.send(v, wire.TermChunk) }

// runSequence runs a sequence (or bidirectional) procedure: each yielded
// value is one chunk. To a caller with the extensions each value is sent as
// it is yielded and an empty Complete ends the response. To one without,
// the last value must carry the Complete terminator (as the Rust crate
// writes it), so one value is held back until the next arrives or the
// procedure returns; a sequence of no values is one empty Complete.
func (c *inCall) runSequence(ctx context.Context, args []byte) error {
	var held []byte
	have := false
	s := newSender(ctx, c)
	emit := func(v []byte) error {
		if have {
			if err := s.send(held, wire.TermChunk); err != nil {
				return err
			}
		} else if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		held, have = append(held[:0], v...), true // emit does not keep v
		return nil
	}
	if !core.HoldsLast(c.w.peerExt()) { // settled: the peer's announcement came before its call
		emit = s.sendChunk // each value as it comes (the writer copies it)
	}
	var err error
	if c.in != nil {
		in := c.in
		err = c.proc.RunBidi(ctx, func() ([]byte, error) { return in.next(ctx) }, emit)
	} else {
		err = c.proc.Stream(ctx, args, emit)
	}
	_ = c.answer(held, err, true)
	return err
}

// runRawStream runs a raw streaming procedure, which picks each message's
// terminator; if it returns without sending Complete, an empty Complete (or
// its error) ends the response.
func (c *inCall) runRawStream(ctx context.Context, args []byte) error {
	s := newSender(ctx, c)
	send := func(payload []byte, t wire.Terminator) error {
		act, err := core.OnRaw(t, len(payload))
		switch {
		case act == core.RawAnswer:
			return c.answer(payload, nil, true)
		case err != nil:
			return err
		case c.loadState() == inAnswered:
			return ErrSendClosed
		case act == core.RawSkip:
			return nil
		}
		return s.send(payload, t)
	}
	err := c.proc.StreamRaw(ctx, args, send)
	_ = c.answer(nil, err, true)
	return err
}
