// Package guest is the lightweight form of an IPFI peer for module-style
// programs (a WebAssembly module, a plugin served over stdio): a loop over
// the protocol core that package ipfi drives too, on the goroutine that
// calls Serve, with no actor system or goroutine of its own. It serves one
// call at a time, refuses bidirectional procedures, speaks version 2 of the
// extensions (a call's deadline and metadata reach its procedure: see
// MetadataFrom), and looks at Serve's context between reads. A procedure
// may call the host back (Call); the host must not call back and wait.
package guest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// The errors of Serve and of calls back to the host. ErrRemote is a plain
// host's empty answer, how it reports a failure.
var (
	ErrPeerClosed     = errors.New("guest: the host closed the stream")
	ErrPeerTerminated = errors.New("guest: the host terminated the wire")
	ErrRemote         = errors.New("guest: the host answered with an empty response")
	ErrNoPeer         = errors.New("guest: the context is not a procedure's of a guest peer")
	errBatchOver      = errors.New("guest: the batch is over (End of input)") // StopAtEndOfInput
)

// RemoteError is a call back the host answered with an Error message.
type RemoteError struct {
	Code    wire.ErrorCode
	Message string
}

func (e *RemoteError) Error() string {
	return "guest: remote error: " + (&core.Failure{Code: e.Code, Message: e.Message}).Error()
}

// Options configures a Peer; the zero value is the defaults. A call over a
// limit is answered with a limit error: MaxCallArgs bounds one call's
// argument bytes (default 16 MiB), MaxOpenCalls the calls running, waiting
// or receiving their arguments (1,000), MaxWireArgs their bytes together
// (32 MiB). StopAtEndOfInput ends Serve at the host's End of input, once
// the calls before it are answered; OnEndOfInput is called at each. Plain
// speaks exactly the Rust crate's bytes (no announcement).
type Options struct {
	StopAtEndOfInput                       bool
	OnEndOfInput                           func()
	Plain                                  bool
	MaxCallArgs, MaxOpenCalls, MaxWireArgs int
}

// Peer is one wire, owned by the goroutine that calls Serve (its
// procedures call back through their context on it too).
type Peer struct {
	r      io.Reader
	w      io.Writer
	reg    *procedures.Registry
	opt    Options
	c      *core.Conn
	buf    []byte
	queue  []queued                // calls waiting to run (EvRun)
	run    *core.InCall            // the call being served, while cancel is set
	cancel context.CancelCauseFunc // cancels it; nil while no call is served
	end    error                   // why reading ended, or errBatchOver; nil while it goes on
	werr   error                   // the first write error: nothing more is written
}

type peerKey struct{}

// queued is a call waiting to run, with the time its deadline passes (zero
// for none), counted from its arrival.
type queued struct {
	ev       core.Event
	deadline time.Time
}

// metaKey is the context key of a served call's metadata.
type metaKey struct{}

// MetadataFrom returns the metadata the call of a procedure's ctx came with
// (nil if none), as ipfi.MetadataFrom does for a procedure of package ipfi.
func MetadataFrom(ctx context.Context) map[string]string {
	kv, _ := ctx.Value(metaKey{}).([]string)
	return core.MetadataMap(kv)
}

// New returns a peer serving reg to the host on r and w (used from Serve).
func New(r io.Reader, w io.Writer, reg *procedures.Registry, opt Options) *Peer {
	cfg := core.Config{Version: 2, MaxCallArgs: max(opt.MaxCallArgs, 0), MaxWireArgs: max(opt.MaxWireArgs, 0),
		MaxOpenCalls: max(opt.MaxOpenCalls, 0), MaxFrame: max(opt.MaxCallArgs, 0),
		Lookup: func(proc uint64) core.ProcKind {
			if p, ok := reg.Lookup(procedures.Index(proc)); ok {
				return core.KindOf(p.Kind(), false)
			}
			return core.ProcUnknown
		}}
	if opt.Plain {
		cfg.Version = 0
	}
	return &Peer{r: r, w: w, reg: reg, opt: opt, buf: make([]byte, 32<<10), c: core.New(cfg)}
}

// ServeStdio serves reg's procedures on the process's standard input and
// output (see Serve); write logs to standard error.
func ServeStdio(ctx context.Context, reg *procedures.Registry, opt Options) error {
	return New(os.Stdin, os.Stdout, reg, opt).Serve(ctx)
}

// Serve serves the host's calls in arrival order, writing before each read,
// until the host's stream ends (ErrPeerClosed, once the calls read are
// answered), a Termination (ErrPeerTerminated), StopAtEndOfInput (nil), a
// read, write or protocol error, or ctx's end. Call it once.
func (p *Peer) Serve(ctx context.Context) error {
	for {
		for ; len(p.queue) > 0 && p.end != ErrPeerTerminated; p.queue = p.queue[1:] {
			if err := context.Cause(ctx); err != nil {
				return err
			}
			p.serve(ctx, p.queue[0])
		}
		switch err := context.Cause(ctx); {
		case p.werr != nil:
			return p.werr
		case p.end == errBatchOver:
			p.c.Terminate()
			return p.flushOver(0)
		case p.end != nil:
			_ = p.flushOver(0) // the host may still read (end of stream is a half-close)
			return p.end
		case err != nil:
			_ = p.flushOver(0)
			return err
		}
		p.readSome()
	}
}

// readSome writes what is waiting, reads once and handles what arrived.
func (p *Peer) readSome() {
	if p.flushOver(0) != nil {
		return
	}
	n, err := p.r.Read(p.buf)
	if n > 0 {
		if ferr := p.c.Receive(p.buf[:n]); ferr != nil {
			p.end = ferr // malformed
			return
		}
		p.events()
	}
	if err != nil && (p.end == nil || p.end == errBatchOver) {
		if err == io.EOF {
			err = ErrPeerClosed
		}
		p.end = err
		p.c.InputEnded()
		p.events()
	}
}

// events acts on what the core decided while it read.
func (p *Peer) events() {
	for _, ev := range p.c.Events() {
		switch ev.Kind {
		case core.EvRun:
			q := queued{ev: ev}
			if ev.Deadline >= 0 {
				q.deadline = time.Now().Add(time.Duration(ev.Deadline) * time.Millisecond)
			}
			p.queue = append(p.queue, q)
		case core.EvCancel:
			p.cancelCall(ev.Call)
		case core.EvEndOfInput:
			if p.opt.OnEndOfInput != nil {
				p.opt.OnEndOfInput()
			}
			if p.opt.StopAtEndOfInput && p.end == nil {
				p.c.Drain()
				p.end = errBatchOver
			}
		case core.EvTerminated:
			p.end = ErrPeerTerminated
		}
	}
}

// cancelCall cancels the served call's context, or answers a waiting one.
func (p *Peer) cancelCall(ic *core.InCall) {
	if p.cancel != nil && p.run == ic {
		p.cancel(context.Canceled)
		return
	}
	if i := slices.IndexFunc(p.queue, func(q queued) bool { return q.ev.Call == ic }); i >= 0 {
		p.queue = slices.Delete(p.queue, i, i+1)
		_ = p.c.Answer(ic, nil, core.FailureOf(context.Canceled))
		p.c.Returned(ic)
	}
}

// serve runs one call's procedure, with the call's deadline and metadata
// in its context, and answers it.
func (p *Peer) serve(ctx context.Context, q queued) {
	ev := q.ev
	k := ev.Call
	proc, _ := p.reg.Lookup(procedures.Index(k.Key.Proc))
	ctx = context.WithValue(ctx, peerKey{}, p)
	if len(ev.Meta) > 0 {
		ctx = context.WithValue(ctx, metaKey{}, ev.Meta)
	}
	if !q.deadline.IsZero() {
		var stop context.CancelFunc
		ctx, stop = context.WithDeadline(ctx, q.deadline)
		defer stop()
	}
	pctx, cancel := context.WithCancelCause(ctx)
	p.run, p.cancel = k, cancel
	defer func() {
		if v := recover(); v != nil {
			_ = p.c.Answer(k, nil, &core.Failure{Code: wire.CodePanic, Message: fmt.Sprintf("guest: procedure %d panicked: %v", k.Key.Proc, v)})
		}
		p.c.Returned(k)
		p.cancel = nil
		cancel(nil)
	}()
	var err error
	switch proc.Kind() {
	case procedures.KindSequence:
		err = proc.Stream(pctx, ev.Args, func(v []byte) error {
			return p.send(pctx, func() error { return p.c.Yield(k, v) })
		})
	case procedures.KindRawStream:
		err = proc.StreamRaw(pctx, ev.Args, func(b []byte, t wire.Terminator) error {
			return p.send(pctx, func() error { return p.c.SendRaw(k, b, t) })
		})
	default:
		out, err := proc.Invoke(pctx, ev.Args)
		_ = p.c.Answer(k, out, core.FailureOf(err))
		proc.Release(out)
		return
	}
	_ = p.c.Answer(k, nil, core.FailureOf(err))
}

// send tries a stream's message, reading while the host grants no credit.
func (p *Peer) send(ctx context.Context, try func() error) error {
	for {
		if err := p.waitable(ctx); err != nil {
			return err
		}
		if err := try(); err != core.ErrNoCredit {
			_ = p.flushOver(64 << 10)
			return err
		}
		p.readSome()
	}
}

// waitable says why a procedure can no longer wait for the host, or nil.
func (p *Peer) waitable(ctx context.Context) error {
	switch err := context.Cause(ctx); {
	case err != nil:
		return err
	case p.werr != nil:
		return p.werr
	case p.end == errBatchOver:
		return nil // the host may still answer a call back
	}
	return p.end
}

// flushOver writes what is waiting if it is more than n bytes; a write
// error is kept and returned.
func (p *Peer) flushOver(n int) error {
	if out := p.c.Output(); p.werr == nil && len(out) > n {
		n, err := p.w.Write(out)
		p.c.Written(n)
		p.werr = err
	}
	return p.werr
}

func peerOf(ctx context.Context) *Peer {
	if p, _ := ctx.Value(peerKey{}).(*Peer); p != nil && p.cancel != nil {
		return p
	}
	return nil
}

// CallRaw calls the host's procedure proc with args (MessagePack values,
// concatenated) from a procedure the guest runs (ctx is its context), and
// returns its value or a sequence's values, handling the host's messages
// meanwhile; it fails with a *RemoteError, one of the errors above, or
// ctx's cause.
func CallRaw(ctx context.Context, proc procedures.Index, args []byte) ([][]byte, error) {
	p := peerOf(ctx)
	if p == nil {
		return nil, ErrNoPeer
	}
	if err := p.waitable(ctx); err != nil {
		return nil, err
	}
	oc, err := p.c.Call(uint64(proc), args, core.NoExtras)
	if err != nil {
		return nil, err
	}
	_ = p.flushOver(64 << 10)
	for oc.State == core.OutWaiting {
		if err := p.waitable(ctx); err != nil {
			p.c.Abandon(oc)
			return nil, err
		}
		p.readSome()
	}
	switch {
	case oc.State == core.OutFailed:
		return nil, &RemoteError{Code: oc.Failure.Code, Message: oc.Failure.Message}
	case len(oc.Values) == 1 && len(oc.Values[0]) == 0 && !p.c.PeerExtensions():
		return nil, ErrRemote
	}
	return oc.Values, nil
}

// SendEndOfInput writes End of input ("over") from a procedure the guest
// runs, after everything written before it.
func SendEndOfInput(ctx context.Context) error {
	if p := peerOf(ctx); p != nil {
		p.c.EndOfInput()
		return p.werr
	}
	return ErrNoPeer
}

// Call is CallRaw with args encoded as package ipfi does, decoding the
// one value into a T.
func Call[T any](ctx context.Context, proc procedures.Index, args ...any) (out T, err error) {
	var values [][]byte
	payload, err := codec.AppendArgs(nil, args...)
	if err == nil {
		values, err = CallRaw(ctx, proc, payload)
	}
	switch {
	case err != nil:
		return out, err
	case len(values) != 1:
		return out, fmt.Errorf("guest: procedure %d answered %d values, want 1", proc, len(values))
	}
	return out, codec.Unmarshal(values[0], &out)
}
