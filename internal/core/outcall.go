package core

import (
	"bytes"

	"github.com/ipfi-go/ipfi/wire"
)

// OutState is where the response of a call this side made is (STATES.md,
// "Outbound call").
type OutState uint8

const (
	// OutWaiting: the response has not ended; its values are collected as
	// they arrive.
	OutWaiting OutState = iota
	// OutAbandoned: the program gave up on the call (Abandon): what
	// arrives is dropped until the final message, which frees the pair.
	OutAbandoned
	// OutComplete: the response ended normally (Values).
	OutComplete
	// OutFailed: the response ended with an Error message, or the wire's
	// input ended first (Failure).
	OutFailed
)

func (s OutState) String() string {
	switch s {
	case OutWaiting:
		return "waiting"
	case OutAbandoned:
		return "abandoned"
	case OutComplete:
		return "complete"
	case OutFailed:
		return "failed"
	}
	return "OutState(?)"
}

// SendState is where the arguments of a call this side made are
// (STATES.md, "Send side").
type SendState uint8

const (
	// SendUnsent: nothing of the arguments was written yet; the call's
	// deadline and metadata go before its first piece. Abandoned now, the
	// call is forgotten at once: the peer never heard of it.
	SendUnsent SendState = iota
	// SendOpen: more pieces may be sent (Call messages with terminator
	// None).
	SendOpen
	// SendClosed: the final piece (terminator Complete) or a Cancel was
	// written.
	SendClosed
)

func (s SendState) String() string {
	switch s {
	case SendUnsent:
		return "unsent"
	case SendOpen:
		return "open"
	case SendClosed:
		return "closed"
	}
	return "SendState(?)"
}

// OutCall is one call this side made. Its pair stays taken (the peer may
// still send on it) until both its arguments and its response have ended.
type OutCall struct {
	Key     Key
	State   OutState
	Send    SendState
	Stream  bool     // values are read one by one (Took grants credit), not collected whole
	Values  [][]byte // the response's values so far; the owner may take them
	Failure *Failure // OutFailed: why
	// Extras go before the first piece; the owner may refresh DeadlineMs
	// until then.
	Extras CallExtras

	partial []byte     // the pieces of a value so far (terminator None)
	held    int        // bytes counted in the Conn's collected (MaxCollected)
	got     int        // values received
	win     RecvWindow // response credit (a collected response grants as values arrive)
	args    SendCredit // argument credit (pieces sent with SendPiece)
}

// FailPeerClosed fails the calls this side made when the peer's stream
// ends: no answer can come.
var FailPeerClosed = &Failure{Code: wire.CodeCancelled, Message: "the peer closed the stream"}

// CallExtras is what a call may carry to a peer that speaks version 2.
type CallExtras struct {
	// DeadlineMs is the milliseconds left before the call's deadline;
	// negative for none.
	DeadlineMs int64
	// Meta is the call's metadata, keys and values in turn.
	Meta []string
}

// NoExtras is a call without deadline or metadata.
var NoExtras = CallExtras{DeadlineMs: -1}

// Call makes a call of procedure proc with its whole arguments (in pieces
// past MaxFramePayload), preceded by its deadline and metadata for a peer
// that speaks version 2. The returned OutCall is the owner's to read.
func (c *Conn) Call(proc uint64, payload []byte, x CallExtras) (*OutCall, error) {
	oc, err := c.Open(proc, x)
	if err != nil {
		return nil, err
	}
	if err := c.CloseSend(oc, payload); err != nil {
		c.dropOut(oc.Key)
		return nil, err
	}
	return oc, nil
}

// Open makes a call whose arguments are sent with SendPiece and ended with
// CloseSend; nothing is written until then.
func (c *Conn) Open(proc uint64, x CallExtras) (*OutCall, error) {
	switch {
	case c.cfg.CalleeOnly:
		return nil, ErrCalleeOnly
	case c.state >= WireInputEnded:
		return nil, FailPeerClosed
	case c.neg.state == PeerGoingAway:
		return nil, FailShutdown
	}
	call, ok := c.idx.Take(proc)
	if !ok {
		return nil, ErrCallsExhausted
	}
	oc := &OutCall{Key: Key{proc, call}, Extras: x, win: FixedWindow(), args: NewSendCredit()}
	c.outCalls[oc.Key] = oc
	return oc, nil
}

// first writes what goes before a call's first piece: its deadline and
// metadata, to a peer that speaks version 2. Metadata over its limits
// fails the call before anything is written.
func (c *Conn) first(oc *OutCall) error {
	if oc.Send != SendUnsent {
		return nil
	}
	if c.neg.v2() {
		k, x := oc.Key, oc.Extras
		out := c.out
		if x.DeadlineMs >= 0 {
			out = wire.AppendDeadline(out, k.Proc, k.Call, uint64(x.DeadlineMs))
		}
		if len(x.Meta) > 0 {
			var err error
			if out, err = wire.AppendMetadata(out, k.Proc, k.Call, x.Meta); err != nil {
				return err
			}
		}
		c.out = out
	}
	oc.Send = SendOpen
	return nil
}

// SendPiece sends more of an open call's arguments. To a peer with the
// extensions it needs argument credit: without any it returns ErrNoCredit
// (an EvArgCredit event for the call says when to try again).
func (c *Conn) SendPiece(oc *OutCall, payload []byte) error {
	switch {
	case oc.Send == SendClosed:
		return ErrAnswered
	case len(payload) == 0:
		return nil
	case c.neg.ext() && !oc.args.Ready():
		return ErrNoCredit
	}
	if err := c.first(oc); err != nil {
		return err
	}
	oc.args.Spend(len(payload))
	c.out = appendSplit(c.out, wire.KindCall, oc.Key, payload, wire.TermNone) // payload is not empty
	return nil
}

// CloseSend ends an open call's arguments with last (maybe empty). It
// fails only for metadata over its limits, before anything is written.
func (c *Conn) CloseSend(oc *OutCall, last []byte) error {
	if oc.Send == SendClosed {
		return nil
	}
	if err := c.first(oc); err != nil {
		return err
	}
	c.out = appendPieces(c.out, wire.KindCall, oc.Key, last)
	c.closeSend(oc)
	return nil
}

func (c *Conn) closeSend(oc *OutCall) {
	oc.Send = SendClosed
	if oc.State != OutWaiting && oc.State != OutAbandoned {
		c.dropOut(oc.Key)
	}
}

// Abandon gives up on a call: a peer with the extensions is told (Cancel,
// which also ends the arguments); the pair stays taken until the peer's
// final message. What arrives meanwhile is dropped.
func (c *Conn) Abandon(oc *OutCall) {
	if oc.State != OutWaiting || c.outCalls[oc.Key] != oc {
		return
	}
	oc.State, oc.Values, oc.partial = OutAbandoned, nil, nil
	c.uncollect(oc)
	switch {
	case oc.Send == SendUnsent:
		oc.Send = SendClosed
		c.dropOut(oc.Key) // the peer never heard of it
	case c.neg.ext():
		c.out = wire.AppendCancel(c.out, oc.Key.Proc, oc.Key.Call)
		oc.Send = SendClosed
	case oc.Send == SendOpen:
		_ = c.CloseSend(oc, nil) // a peer without the extensions runs it and answers
	}
}

// outFrame takes a Response, Error or argument credit for a call this side
// made; one for no such call is ignored, as the Rust crate does.
func (c *Conn) outFrame(f wire.Frame) {
	k := Key{f.Procedure, f.Call}
	oc := c.outCalls[k]
	if oc == nil {
		return
	}
	switch f.Kind {
	case wire.KindArgumentCredit:
		if n, err := wire.ParseCredit(f); err == nil {
			wasReady := oc.args.Ready()
			oc.args.Grant(n)
			if !wasReady && oc.args.Ready() {
				c.emit(Event{Kind: EvArgCredit, Key: k})
			}
		}
		return
	case wire.KindError:
		b, err := wire.ParseErrorBody(f)
		if err != nil {
			b = wire.ErrorBody{Code: wire.CodeProcedure, Message: err.Error()}
		}
		oc.fail(&Failure{Code: b.Code, Message: b.Message, App: b.App, Details: bytes.Clone(b.Details)})
	default:
		c.response(oc, f)
	}
	if f.Kind == wire.KindError || f.Terminator == wire.TermComplete {
		// The final message: the response has ended.
		if oc.State == OutAbandoned {
			oc.State = OutFailed
			oc.Failure = failCancelled
		}
		c.finalIn(oc)
	}
	c.emit(Event{Kind: EvResponse, Key: k})
}

// finalIn frees the pair of a call whose response has ended, once its
// arguments have: arguments still open end now, with an empty Complete
// piece to a callee that drains them (PairHeld), with nothing written to
// one that has freed the pair already.
func (c *Conn) finalIn(oc *OutCall) {
	c.uncollect(oc)
	if oc.Send != SendClosed && PairHeld(true, c.neg.v2()) {
		c.out = appendPieces(c.out, wire.KindCall, oc.Key, nil)
	}
	oc.Send = SendClosed
	c.dropOut(oc.Key)
}

// collect counts n more bytes of oc's response in what the wire's calls
// collect: a collected response's, and the pieces of a value (partial) of
// any. Past MaxCollected the call fails with the limit and the peer is
// told, as for Abandon; collect then reports false.
func (c *Conn) collect(oc *OutCall, n int, partial bool) bool {
	if oc.Stream && !partial {
		return true // its credit bounds what a stream's reader leaves unread
	}
	if fail := c.cfg.OverCollected(c.collected, n); fail != nil {
		c.Abandon(oc)
		oc.State, oc.Failure = OutFailed, fail
		return false
	}
	oc.held += n
	c.collected += n
	return true
}

// uncollect uncounts what oc's response holds (collect).
func (c *Conn) uncollect(oc *OutCall) {
	c.collected -= oc.held
	oc.held = 0
}

// response takes a Response message.
func (c *Conn) response(oc *OutCall, f wire.Frame) {
	if oc.State != OutWaiting {
		return // abandoned, or failed over MaxCollected
	}
	last := f.Terminator == wire.TermComplete
	if !c.collect(oc, len(f.Payload), f.Terminator == wire.TermNone) {
		return
	}
	if !last && c.neg.ext() && !oc.Stream {
		c.grant(wire.KindResponseCredit, oc.Key, oc.win.Consumed(int64(len(f.Payload))))
	}
	if f.Terminator == wire.TermNone {
		oc.partial = append(oc.partial, f.Payload...)
		return
	}
	value := append(oc.partial, f.Payload...)
	oc.partial = nil
	if oc.Stream {
		c.uncollect(oc) // the value is whole: its pieces no longer count
	}
	if !last || len(value) > 0 || !c.emptyEnds(oc) {
		oc.got++
		oc.Values = append(oc.Values, value)
	}
	if last {
		oc.State = OutComplete
	}
}

// emptyEnds reports whether an empty Complete ends a response without
// being a value (STATES.md, "The empty Complete"): on a stream with no
// value yet (the Rust crate's empty sequence), and after values from a
// peer with the extensions (which reports failures with Error messages).
// Otherwise it is a value: a call's only answer, or how a peer without the
// extensions reports a failure.
func (c *Conn) emptyEnds(oc *OutCall) bool { return EmptyEnds(oc.got, oc.Stream, c.neg.ext()) }

// EmptyEnds is the empty-Complete rule (see Conn.emptyEnds) for a response
// that has values so far, read as a stream or not, from a peer with the
// extensions or not.
func EmptyEnds(values int, stream, peerExt bool) bool {
	if values == 0 {
		return stream
	}
	return peerExt
}

// Took says that the program read n bytes of a stream's values: credit is
// granted back, growing the window while it runs dry (dry).
func (c *Conn) Took(oc *OutCall, n int, dry bool) {
	if oc.State != OutWaiting || !c.neg.ext() {
		return
	}
	g := oc.win.Consumed(int64(n))
	if dry {
		g += oc.win.Dry()
	}
	c.grant(wire.KindResponseCredit, oc.Key, g)
}

// fail ends a response that has not ended with f.
func (oc *OutCall) fail(f *Failure) {
	if oc.State == OutWaiting || oc.State == OutAbandoned {
		oc.State, oc.Failure = OutFailed, f
	}
}

// dropOut frees a call's pair: nothing more will come on it.
func (c *Conn) dropOut(k Key) {
	delete(c.outCalls, k)
	c.idx.Release(k)
}
