// Package guest is the lightweight form of an IPFI peer, for module-style
// programs: a WebAssembly module, or a plugin that a host runs, serving the
// host's calls over its standard input and output. It runs on the one
// goroutine that calls Serve: no actor system, no goroutine of its own, so
// it starts in microseconds and suits a single-threaded runtime, where a
// read that waits for the host stops everything anyway.
//
// It speaks the protocol of package ipfi, byte for byte: the Rust crate's
// messages, and version 1 of this project's extensions when the host
// announces them (error codes, cancel, response flow control, ping). End
// of stream is a half-close (the calls read before it are answered) and
// End of input can end a batch (Options.StopAtEndOfInput), as package
// ipfi documents them. What it gives up for its size:
//
//   - calls are served one at a time, in the order they arrive; the calls
//     that arrive while one runs wait, at most Options.MaxQueued of them;
//   - a call's arguments sent in pieces are gathered before it runs, and
//     bidirectional procedures are refused (answered with an error);
//   - version 2 of the extensions (deadlines, metadata, go-away) is not
//     announced, and there are no interceptors, limits on open streams, or
//     telemetry;
//   - it waits for the host only in Read: Serve's context is looked at
//     between reads, so a Read that waits for the host ends only when the
//     host writes or closes the stream.
//
// A procedure may call the host back while it runs (Call, CallRaw): the
// messages that arrive meanwhile are handled as they come (pings answered,
// credit taken, new calls queued, a Cancel of the running call cancels
// its context). The host's procedure must not call the guest back and
// wait: the guest serves one call at a time, so that call would wait for
// the one that waits for it.
//
// The guest needs only packages procedures, wire and codec, so a module
// built with it stays small (package ipfi brings the actor system).
package guest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

var (
	// ErrPeerClosed is Serve's result when the host's stream ended (end of
	// stream) and the calls read before it were answered; a call back to
	// the host that was waiting fails with it.
	ErrPeerClosed = errors.New("guest: the host closed the stream")
	// ErrPeerTerminated is Serve's result when the host sent a Termination
	// message.
	ErrPeerTerminated = errors.New("guest: the host terminated the wire")
	// ErrRemote is a call back to the host that was answered with an
	// empty response: how a host without the extensions reports a
	// failure.
	ErrRemote = errors.New("guest: the host answered with an empty response")
	// ErrLimit is how a call over one of Options' limits is answered.
	ErrLimit = errors.New("guest: limit exceeded")
	// ErrNoPeer is a Call made with a context that is not a procedure's of
	// a Peer.
	ErrNoPeer = errors.New("guest: the context is not a procedure's of a guest peer")
	// errBidi answers a call of a bidirectional procedure.
	errBidi = errors.New("guest: bidirectional procedures are not served by the guest form")
	// errStop ends the handling of a chunk: the frames after a
	// Termination are not read.
	errStop = errors.New("guest: stop")
	// errOver answers a call that arrives after a stopping End of input.
	errOver = errors.New("guest: the batch is over (End of input)")
)

// RemoteError is a call back to the host that the host answered with an
// Error message (a host with the extensions).
type RemoteError struct {
	Code    wire.ErrorCode
	Message string
}

func (e *RemoteError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("guest: remote error: %v", e.Code)
	}
	return fmt.Sprintf("guest: remote error: %v: %s", e.Code, e.Message)
}

// Options configures a Peer; the zero value is the defaults.
type Options struct {
	// StopAtEndOfInput makes Serve return nil once the host sends End of
	// input, after answering the calls that came before it and writing a
	// Termination message: the batch is over.
	StopAtEndOfInput bool
	// OnEndOfInput, if set, is called on Serve's goroutine each time the
	// host sends End of input, once the calls before it are queued (with
	// StopAtEndOfInput, before Serve answers them and returns).
	OnEndOfInput func()
	// Plain makes the peer speak exactly the Rust crate's bytes: it does
	// not announce the extensions.
	Plain bool
	// MaxCallArgs bounds one call's arguments in bytes (default 16 MiB);
	// a call over it is answered with ErrLimit and does not run.
	MaxCallArgs int
	// MaxQueued bounds the calls that wait while one runs, or whose
	// arguments are arriving in pieces (default 1,000); one more is
	// answered with ErrLimit.
	MaxQueued int
	// MaxHeld bounds the argument bytes of all those calls together
	// (default 32 MiB); a call that would pass it is answered with
	// ErrLimit.
	MaxHeld int
}

const (
	defaultMaxCallArgs = 16 << 20
	defaultMaxQueued   = 1000
	defaultMaxHeld     = 32 << 20
	// maxFramePayload is the largest payload written in one frame, as
	// package ipfi's writer: a larger value goes in pieces.
	maxFramePayload = 1 << 20
	// flushAt is how much output is gathered before it is written even
	// though no read is due.
	flushAt = 64 << 10
	readBuf = 32 << 10
)

// Peer is one wire served on the goroutine that calls Serve. Its methods
// are not safe for concurrent use: a Peer belongs to that goroutine (the
// procedures it runs call back through their context on it too).
type Peer struct {
	r   io.Reader
	w   io.Writer
	reg *procedures.Registry
	opt Options

	dec     *wire.Decoder
	buf     []byte // read buffer
	out     []byte // what is waiting to be written
	peerExt bool   // the host announced the extensions

	queue   []inCall           // calls with all their arguments, waiting to run
	pieces  map[key]*gathering // calls whose arguments are arriving in pieces
	held    int                // argument bytes in queue and pieces (Options.MaxHeld)
	running *running           // the call being served, or nil
	calls   map[key]*outCall   // calls back to the host waiting for their answers
	next    uint64             // the next call index for a call back

	end       error // why reading ended (nil while it goes on)
	werr      error // the first write error: nothing more is written
	batchOver bool  // End of input came, with StopAtEndOfInput: Serve ends once the calls before it are answered
}

type key struct{ proc, call uint64 }

type inCall struct {
	key
	args []byte
}

type gathering struct {
	args []byte
	over error // past a limit: the rest is dropped, the call answered with it
}

type running struct {
	key
	credit   int64 // response payload bytes the host allows (extensions)
	cancel   context.CancelCauseFunc
	answered bool
}

type outCall struct {
	partial []byte
	values  [][]byte
	done    bool
	err     error
}

type peerKey struct{}

// New returns a peer that serves reg's procedures to the host that writes
// to r and reads from w. Nothing is read or written before Serve.
func New(r io.Reader, w io.Writer, reg *procedures.Registry, opt Options) *Peer {
	if opt.MaxCallArgs <= 0 {
		opt.MaxCallArgs = defaultMaxCallArgs
	}
	if opt.MaxQueued <= 0 {
		opt.MaxQueued = defaultMaxQueued
	}
	if opt.MaxHeld <= 0 {
		opt.MaxHeld = defaultMaxHeld
	}
	return &Peer{
		r: r, w: w, reg: reg, opt: opt,
		dec:    wire.NewDecoder(opt.MaxCallArgs),
		buf:    make([]byte, readBuf),
		pieces: map[key]*gathering{},
		calls:  map[key]*outCall{},
	}
}

// ServeStdio serves reg's procedures on the process's standard input and
// output until the host ends the session (see Serve). Nothing else may
// read standard input or write standard output meanwhile: write logs to
// standard error.
func ServeStdio(ctx context.Context, reg *procedures.Registry, opt Options) error {
	return New(os.Stdin, os.Stdout, reg, opt).Serve(ctx)
}

// Serve announces the extensions (unless Plain), then reads the host's
// messages and serves its calls, one at a time in arrival order, until:
//
//   - the host's stream ends: the calls read before are answered, then
//     Serve returns ErrPeerClosed;
//   - the host sends a Termination message: ErrPeerTerminated, at once;
//   - the host sends End of input with Options.StopAtEndOfInput: the
//     calls before it are answered and a Termination written; nil;
//   - a read or write fails, or the host's bytes are malformed: that
//     error;
//   - ctx ends (looked at between reads and calls): ctx's cause.
//
// Serve writes what it has before each read, so an answer never waits for
// the host's next message. Serve may be called once.
func (p *Peer) Serve(ctx context.Context) error {
	if !p.opt.Plain {
		p.out = append(p.out, byte(wire.KindAnnounce))
	}
	for {
		for len(p.queue) > 0 && p.end != ErrPeerTerminated {
			if err := context.Cause(ctx); err != nil {
				return err
			}
			c := p.queue[0]
			p.queue[0] = inCall{}
			p.queue = p.queue[1:]
			p.held -= len(c.args)
			p.serve(ctx, c)
		}
		switch {
		case p.werr != nil:
			return p.werr
		case p.end == ErrPeerTerminated:
			return p.end
		case p.batchOver:
			p.out = append(p.out, byte(wire.KindTermination))
			return p.flush()
		case p.end != nil:
			_ = p.flush() // the host may still read (end of stream is a half-close)
			return p.end
		}
		if err := context.Cause(ctx); err != nil {
			_ = p.flush()
			return err
		}
		p.readSome()
	}
}

// readSome writes what is waiting, then reads once and handles what
// arrived; a read that ends records why (p.end).
func (p *Peer) readSome() {
	if p.flush() != nil {
		return
	}
	n, err := p.r.Read(p.buf)
	if n > 0 {
		if ferr := p.dec.Feed(p.buf[:n], p.handle); ferr != nil && ferr != errStop {
			p.end = ferr // malformed
			return
		}
	}
	if err != nil && p.end == nil {
		if err == io.EOF {
			err = ErrPeerClosed
		}
		p.end = err
		for _, c := range p.calls {
			if !c.done {
				c.done, c.err = true, ErrPeerClosed
			}
		}
	}
}

// handle takes one message from the host.
func (p *Peer) handle(f wire.Frame) error {
	if p.end != nil {
		return errStop // after a Termination or a stopping End of input
	}
	k := key{f.Procedure, f.Call}
	switch f.Kind {
	case wire.KindAnnounce:
		if !p.opt.Plain && !p.peerExt {
			p.peerExt = true
			p.dec.SetExtensions(true)
		}
	case wire.KindCall:
		p.callFrame(k, f)
	case wire.KindResponse, wire.KindError:
		p.answerFrame(k, f)
	case wire.KindResponseCredit:
		if n, err := wire.ParseCredit(f); err == nil && p.running != nil && p.running.key == k {
			p.running.credit += int64(min(n, 1<<40))
		}
	case wire.KindCancel:
		p.cancel(k)
	case wire.KindPing:
		if p.peerExt {
			p.out = wire.AppendPing(p.out, wire.KindPong, f.Call)
		}
	case wire.KindTermination:
		p.end = ErrPeerTerminated
		return errStop
	case wire.KindEndOfInput:
		if p.opt.OnEndOfInput != nil {
			p.opt.OnEndOfInput()
		}
		p.batchOver = p.opt.StopAtEndOfInput
	}
	return nil
}

// callFrame takes a Call message: a whole call, or a piece of one. The
// arguments held for calls that wait count in p.held until they run.
func (p *Peer) callFrame(k key, f wire.Frame) {
	g := p.pieces[k]
	if f.Terminator != wire.TermComplete {
		if g == nil {
			g = &gathering{}
			if len(p.pieces)+len(p.queue) >= p.opt.MaxQueued {
				g.over = p.overQueued()
			}
			p.pieces[k] = g
		}
		if g.over == nil {
			g.over = p.overArgs(len(g.args), len(f.Payload))
		}
		if g.over == nil {
			g.args = append(g.args, f.Payload...)
			p.held += len(f.Payload)
		} else if g.args != nil {
			p.held -= len(g.args)
			g.args = nil
		}
		if p.peerExt { // gathered (or dropped): the caller's credit comes back
			p.out = wire.AppendCredit(p.out, wire.KindArgumentCredit, k.proc, k.call, uint64(len(f.Payload)))
		}
		return
	}
	delete(p.pieces, k)
	var err error
	var before int
	switch {
	case p.batchOver:
		err = errOver
	case g != nil && g.over != nil:
		err = g.over
	case g == nil && len(p.queue)+len(p.pieces) >= p.opt.MaxQueued:
		err = p.overQueued()
	case g != nil:
		before = len(g.args)
	}
	if err == nil {
		err = p.overArgs(before, len(f.Payload))
	}
	if err != nil {
		if g != nil {
			p.held -= len(g.args)
		}
		p.answerError(k, err) // at once: it waits for nothing
		return
	}
	c := inCall{key: k}
	if g == nil {
		c.args = append([]byte(nil), f.Payload...) // the payload is the decoder's
	} else {
		c.args = append(g.args, f.Payload...)
	}
	p.held += len(f.Payload)
	p.queue = append(p.queue, c)
}

// overArgs says which limit a call holding before bytes of arguments would
// pass with n more, or nil.
func (p *Peer) overArgs(before, n int) error {
	switch {
	case before+n > p.opt.MaxCallArgs:
		return fmt.Errorf("%w: more than %d bytes of arguments (MaxCallArgs)", ErrLimit, p.opt.MaxCallArgs)
	case p.held+n > p.opt.MaxHeld:
		return fmt.Errorf("%w: the waiting calls hold %d bytes of arguments (MaxHeld)", ErrLimit, p.opt.MaxHeld)
	}
	return nil
}

func (p *Peer) overQueued() error {
	return fmt.Errorf("%w: %d calls waiting (MaxQueued)", ErrLimit, p.opt.MaxQueued)
}

// cancel takes the host's Cancel of a call: the running one has its
// context cancelled; one waiting, or gathering its arguments, is answered
// cancelled and dropped.
func (p *Peer) cancel(k key) {
	if r := p.running; r != nil && r.key == k {
		r.cancel(context.Canceled)
		return
	}
	for i, c := range p.queue {
		if c.key == k {
			p.queue = append(p.queue[:i], p.queue[i+1:]...)
			p.held -= len(c.args)
			p.answerError(k, context.Canceled)
			return
		}
	}
	if g, ok := p.pieces[k]; ok {
		delete(p.pieces, k)
		p.held -= len(g.args)
		p.answerError(k, context.Canceled)
	}
}

// serve runs one call's procedure and answers it.
func (p *Peer) serve(ctx context.Context, c inCall) {
	proc, ok := p.reg.Lookup(procedures.Index(c.proc))
	switch {
	case !ok:
		p.answerError(c.key, fmt.Errorf("%w %d", procedures.ErrUnknown, c.proc))
		return
	case proc.Kind() == procedures.KindBidi:
		p.answerError(c.key, errBidi)
		return
	}
	pctx, cancel := context.WithCancelCause(context.WithValue(ctx, peerKey{}, p))
	r := &running{key: c.key, credit: wire.InitialCredit, cancel: cancel}
	p.running = r
	defer func() {
		if v := recover(); v != nil {
			p.answer(r, nil, fmt.Errorf("guest: procedure %d panicked: %v", c.proc, v), wire.CodePanic)
		}
		p.running = nil
		cancel(nil)
	}()
	switch proc.Kind() {
	case procedures.KindSequence:
		p.runSequence(pctx, r, proc, c.args)
	case procedures.KindRawStream:
		err := proc.StreamRaw(pctx, c.args, func(b []byte, t wire.Terminator) error {
			switch {
			case r.answered:
				return errors.New("guest: the response has ended")
			case t == wire.TermComplete:
				p.answer(r, b, nil, 0)
				return nil
			case t != wire.TermNone && t != wire.TermChunk:
				return fmt.Errorf("guest: invalid terminator %v", t)
			}
			return p.send(pctx, r, b, t)
		})
		p.answer(r, nil, err, 0)
	default:
		out, err := proc.Invoke(pctx, c.args)
		p.answer(r, out, err, 0)
		proc.Release(out)
	}
}

// runSequence runs a sequence procedure: one Chunk per value, then an
// empty Complete, to a host with the extensions; to one without, the last
// value carries the Complete (one value is held back until the next comes).
func (p *Peer) runSequence(ctx context.Context, r *running, proc procedures.Procedure, args []byte) {
	var held []byte
	have := false
	emit := func(v []byte) error {
		if p.peerExt {
			return p.send(ctx, r, v, wire.TermChunk)
		}
		if have {
			if err := p.send(ctx, r, held, wire.TermChunk); err != nil {
				return err
			}
		}
		held, have = append(held[:0], v...), true
		return nil
	}
	err := proc.Stream(ctx, args, emit)
	p.answer(r, held, err, 0)
}

// send writes one non-final message of the running call's response,
// first waiting (reading the host's messages) while a host with the
// extensions has granted no credit for it. A payload over maxFramePayload
// goes in pieces.
func (p *Peer) send(ctx context.Context, r *running, b []byte, t wire.Terminator) error {
	for {
		piece, term := b, t
		if len(b) > maxFramePayload {
			piece, term = b[:maxFramePayload], wire.TermNone
		}
		if err := p.waitCredit(ctx, r); err != nil {
			return err
		}
		if p.peerExt {
			r.credit -= int64(len(piece))
		}
		p.write(wire.KindResponse, term, r.proc, r.call, piece)
		if p.werr != nil {
			return p.werr
		}
		if len(b) <= maxFramePayload {
			return nil
		}
		b = b[maxFramePayload:]
	}
}

// waitCredit reads the host's messages while the running call has no
// response credit (a host with the extensions).
func (p *Peer) waitCredit(ctx context.Context, r *running) error {
	for p.peerExt && r.credit <= 0 {
		if err := p.waitable(ctx); err != nil {
			return err
		}
		p.readSome()
	}
	return p.waitable(ctx)
}

// waitable reports why the running procedure cannot wait for the host any
// longer (its context ended, or reading has), or nil.
func (p *Peer) waitable(ctx context.Context) error {
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if p.werr != nil {
		return p.werr
	}
	return p.end
}

// answer ends the running call's response: a value (Complete) when err is
// nil; otherwise an Error with err's code (or code, if not 0) to a host
// with the extensions, an empty Complete to one without. Only the first
// answer counts.
func (p *Peer) answer(r *running, value []byte, err error, code wire.ErrorCode) {
	if r.answered {
		return
	}
	r.answered = true
	if err != nil {
		p.answerErrorCode(r.key, err, code)
		return
	}
	for len(value) > maxFramePayload {
		p.write(wire.KindResponse, wire.TermNone, r.proc, r.call, value[:maxFramePayload])
		value = value[maxFramePayload:]
	}
	p.write(wire.KindResponse, wire.TermComplete, r.proc, r.call, value)
}

func (p *Peer) answerError(k key, err error) { p.answerErrorCode(k, err, 0) }

func (p *Peer) answerErrorCode(k key, err error, code wire.ErrorCode) {
	if !p.peerExt {
		p.write(wire.KindResponse, wire.TermComplete, k.proc, k.call, nil)
		return
	}
	if code == 0 {
		code = errorCode(err)
	}
	msg := err.Error()
	if code == wire.CodeCancelled {
		msg = ""
	}
	p.out = wire.AppendError(p.out, k.proc, k.call, code, msg)
	p.maybeFlush()
}

// errorCode is the code a procedure's error is sent with.
func errorCode(err error) wire.ErrorCode {
	switch {
	case errors.Is(err, procedures.ErrUnknown):
		return wire.CodeUnknownProcedure
	case errors.Is(err, procedures.ErrBadArguments):
		return wire.CodeBadArguments
	case errors.Is(err, ErrLimit):
		return wire.CodeLimit
	case errors.Is(err, context.Canceled):
		return wire.CodeCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return wire.CodeDeadline
	}
	return wire.CodeProcedure
}

// write appends one Call or Response frame to the output.
func (p *Peer) write(k wire.Kind, t wire.Terminator, proc, call uint64, payload []byte) {
	p.out = wire.AppendHeader(p.out, k, t, proc, call, len(payload))
	p.out = append(p.out, payload...)
	p.maybeFlush()
}

func (p *Peer) maybeFlush() {
	if len(p.out) >= flushAt {
		_ = p.flush()
	}
}

// flush writes what is waiting. A write error is kept: nothing more is
// written and Serve returns it.
func (p *Peer) flush() error {
	if p.werr != nil {
		return p.werr
	}
	if len(p.out) == 0 {
		return nil
	}
	_, err := p.w.Write(p.out)
	if err != nil {
		p.werr = err
		return err
	}
	if cap(p.out) > 4*flushAt {
		p.out = nil
	} else {
		p.out = p.out[:0]
	}
	return nil
}

// answerFrame takes a Response or Error for a call back to the host.
func (p *Peer) answerFrame(k key, f wire.Frame) {
	c := p.calls[k]
	if c == nil || c.done {
		return // not a call of ours: ignored, as the Rust crate does
	}
	if f.Kind == wire.KindError {
		b, err := wire.ParseErrorBody(f)
		if err != nil {
			b = wire.ErrorBody{Code: wire.CodeProcedure, Message: err.Error()}
		}
		c.done, c.err = true, &RemoteError{Code: b.Code, Message: b.Message}
		return
	}
	if f.Terminator != wire.TermComplete && p.peerExt && len(f.Payload) > 0 {
		p.out = wire.AppendCredit(p.out, wire.KindResponseCredit, k.proc, k.call, uint64(len(f.Payload)))
	}
	c.partial = append(c.partial, f.Payload...)
	switch f.Terminator {
	case wire.TermChunk:
		c.values = append(c.values, c.partial)
		c.partial = nil
	case wire.TermComplete:
		if len(c.partial) > 0 || len(c.values) == 0 {
			c.values = append(c.values, c.partial)
		}
		c.partial = nil
		c.done = true
	}
}

// CallRaw calls procedure proc of the host with the given arguments
// (MessagePack values one after another) from inside a procedure that the
// guest runs (ctx is its context), and returns the host's answer: one
// value, or the values of a sequence. Meanwhile it handles the host's
// messages as they come. It fails with a *RemoteError (a host with the
// extensions), ErrRemote (an empty answer from one without), ErrPeerClosed
// or ErrPeerTerminated if the host goes away first, or ctx's cause if the
// host cancels the running call.
func CallRaw(ctx context.Context, proc procedures.Index, args []byte) ([][]byte, error) {
	p, _ := ctx.Value(peerKey{}).(*Peer)
	if p == nil || p.running == nil {
		return nil, ErrNoPeer
	}
	if err := p.waitable(ctx); err != nil {
		return nil, err
	}
	k := key{uint64(proc), p.next}
	p.next++
	c := &outCall{}
	p.calls[k] = c
	defer delete(p.calls, k)
	for len(args) > maxFramePayload {
		p.write(wire.KindCall, wire.TermNone, k.proc, k.call, args[:maxFramePayload])
		args = args[maxFramePayload:]
	}
	p.write(wire.KindCall, wire.TermComplete, k.proc, k.call, args)
	for !c.done {
		if err := p.waitable(ctx); err != nil {
			if p.peerExt && ctx.Err() != nil {
				p.out = wire.AppendCancel(p.out, k.proc, k.call)
			}
			return nil, err
		}
		p.readSome()
	}
	if c.err != nil {
		return nil, c.err
	}
	if len(c.values) == 1 && len(c.values[0]) == 0 && !p.peerExt {
		return nil, ErrRemote
	}
	return c.values, nil
}

// SendEndOfInput tells the host, from inside a procedure that the guest
// runs (ctx is its context), that the guest has written everything it has
// for now: End of input, after everything written before it (the host sees
// it on Wire.EndOfInput). It is written with the guest's next write.
func SendEndOfInput(ctx context.Context) error {
	p, _ := ctx.Value(peerKey{}).(*Peer)
	if p == nil || p.running == nil {
		return ErrNoPeer
	}
	if p.werr != nil {
		return p.werr
	}
	p.out = append(p.out, byte(wire.KindEndOfInput))
	return nil
}

// Call calls procedure proc of the host with args, encoded as package
// ipfi encodes them, from inside a procedure that the guest runs (see
// CallRaw), and decodes its one value into a T.
func Call[T any](ctx context.Context, proc procedures.Index, args ...any) (T, error) {
	var out T
	payload, err := codec.AppendArgs(nil, args...)
	if err != nil {
		return out, err
	}
	values, err := CallRaw(ctx, proc, payload)
	if err != nil {
		return out, err
	}
	if len(values) != 1 {
		return out, fmt.Errorf("guest: procedure %d answered %d values, want 1", proc, len(values))
	}
	return out, codec.Unmarshal(values[0], &out)
}
