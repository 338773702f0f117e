package actors

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// inboundEntry is the wire's route to one inbound call actor.
type inboundEntry struct {
	pid *actor.PID
	// answered is set by whoever writes the call's final response, before
	// writing it: from then on the peer may reuse the call's (procedure, call)
	// pair, and a Call frame with that pair starts a new call.
	answered atomic.Bool
}

// ProcedureFailure is the supervision failure of an inbound call whose
// procedure panicked: the call actor fails with it, its supervisor (the
// wire) stops that call alone and reports it.
type ProcedureFailure struct {
	Procedure uint64
	Call      uint64
	Panic     any
	Stack     []byte
}

func (f *ProcedureFailure) Error() string {
	return fmt.Sprintf("ipfi: procedure %d (call %d) panicked: %v", f.Procedure, f.Call, f.Panic)
}

// inboundActor is one call the peer made: it accumulates the arguments,
// then runs the procedure in a goroutine of its own (a procedure may block,
// even call back over the same wire; a Receive must not) and answers. When
// it stops, for whatever reason, the procedure's context is cancelled.
type inboundActor struct {
	w       *Wire
	key     callKey
	entry   *inboundEntry
	args    []byte
	size    int
	over    bool // arguments exceeded the limit: answer with an error at the end
	started bool
	cancel  context.CancelFunc
}

func (c *inboundActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case frameRef:
		c.frame(ctx, m.f)
	case *procDoneMsg:
		if m.failure != nil {
			// Turn the recovered panic into a supervision failure: the wire's
			// strategy stops this call and reports it.
			panic(m.failure)
		}
		ctx.Stop(ctx.Self())
	case *actor.Stopping:
		if c.cancel != nil {
			c.cancel()
		}
	}
}

func (c *inboundActor) frame(ctx actor.Context, f *wire.Frame) {
	if c.started {
		return // extra pieces after Complete: nothing to add to
	}
	c.size += len(f.Payload)
	if c.size > c.w.limits.MaxCallArgs {
		c.over, c.args = true, nil
	} else if !c.over {
		if c.args == nil {
			c.args = f.Payload // the parser's private copy: no need for another
		} else {
			c.args = append(c.args, f.Payload...)
		}
	}
	if f.Terminator != wire.TermComplete {
		return
	}
	c.started = true
	if c.over {
		c.w.answerError(c.key, c.entry, ErrLimit, false)
		ctx.Stop(ctx.Self())
		return
	}
	proc, ok := c.w.sys.registry.Lookup(procedures.Index(c.key.proc))
	if !ok {
		c.w.answerError(c.key, c.entry, procedures.ErrUnknown, false)
		ctx.Stop(ctx.Self())
		return
	}
	pctx, cancel := context.WithCancel(c.w.procCtx)
	c.cancel = cancel
	self, root := ctx.Self(), ctx.ActorSystem().Root
	args := c.args
	c.args = nil
	c.w.wg.Add(1)
	go func() {
		defer c.w.wg.Done()
		root.Send(self, &procDoneMsg{failure: c.w.run(pctx, proc, c.key, c.entry, args)})
	}()
}

// run invokes a procedure and writes its response. It returns a
// *ProcedureFailure if the procedure panicked (the caller is answered with an
// error all the same).
func (w *Wire) run(ctx context.Context, proc procedures.Procedure, key callKey, entry *inboundEntry, args []byte) (failure error) {
	defer func() {
		if r := recover(); r != nil {
			pf := &ProcedureFailure{Procedure: key.proc, Call: key.call, Panic: r, Stack: debug.Stack()}
			w.answerError(key, entry, pf, true)
			failure = pf
		}
	}()
	if proc.IsSequence() {
		return w.runSequence(ctx, proc, key, entry, args)
	}
	out, err := proc.Invoke(ctx, args)
	if err != nil {
		w.answerError(key, entry, err, true)
		return nil
	}
	if entry.answered.Swap(true) {
		return nil
	}
	w.out.frame(wire.KindResponse, wire.TermComplete, key.proc, key.call, out, true)
	return nil
}

// runSequence runs a sequence procedure: each yielded value is one chunk.
// The last value must carry the Complete terminator (as the Rust crate
// writes it), so one value is held back until the next arrives or the
// procedure returns; a sequence of no values is one empty Complete.
func (w *Wire) runSequence(ctx context.Context, proc procedures.Procedure, key callKey, entry *inboundEntry, args []byte) error {
	var held []byte
	have := false
	err := proc.Stream(ctx, args, func(v []byte) error {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if have {
			if err := w.out.frame(wire.KindResponse, wire.TermChunk, key.proc, key.call, held, true); err != nil {
				return err
			}
		}
		held, have = v, true
		return nil
	})
	if err != nil {
		w.answerError(key, entry, err, true)
		return nil
	}
	if !entry.answered.Swap(true) {
		w.out.frame(wire.KindResponse, wire.TermComplete, key.proc, key.call, held, true)
	}
	return nil
}

// answerError ends an inbound call with an error. To a peer without the
// error extension that is a Complete response with an empty payload
// (PROTOCOL.md section 5): the caller fails to decode it instead of waiting
// forever. block is true on a procedure's goroutine, which writes the answer
// itself; inside a Receive it is false and the write never blocks.
func (w *Wire) answerError(key callKey, entry *inboundEntry, err error, block bool) {
	if entry.answered.Swap(true) {
		return
	}
	if errors.Is(err, context.Canceled) && w.procCtx.Err() != nil {
		return // the wire is ending: nobody to answer
	}
	w.out.frame(wire.KindResponse, wire.TermComplete, key.proc, key.call, nil, block)
}
