package actors

import (
	"context"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ipfi-go/ipfi/wire"
)

// Pending is the handle of one outbound call: the caller waits on it (or
// reads its response value by value, see Recv) while the call's outbound
// actor collects the response.
type Pending struct {
	key  callKey
	w    *Wire
	done chan struct{} // closed once the response has ended (complete, error or wire end)

	mu     sync.Mutex
	chunks [][]byte  // collect mode: the values
	one    [1][]byte // chunks of a plain call's one value (no allocation)
	// stream mode: the values not yet taken, in segments (a run of values
	// that arrived together, or one value); segs[:head] were taken.
	segs  []segment
	head  int
	ended bool  // set with done
	err   error // the response's end: nil when complete
	// stream mode (Open): values are taken one by one with Recv, which
	// grants the callee credit for them; otherwise the outbound actor
	// grants credit as values arrive and Wait returns them all.
	stream    bool
	notify    chan struct{} // stream mode: a value arrived or the response ended
	abandoned bool          // Cancel was called: arriving values are dropped
	window    int64         // response window (stream mode): what the caller chose, or where it has grown to
	maxWindow int64         // how far the window may grow (equal to window when the caller chose it)
	widened   bool          // the window beyond the implicit one was granted
	unacked   int64         // bytes taken and not yet granted back
	taken     int64         // bytes taken since the window last grew
	// Recv's run: the values of a run it took from segs in one go, which
	// it serves without the lock (Recv is called by one goroutine at a
	// time), and the bytes of them it served and has not accounted for
	// credit yet. cancelled mirrors abandoned, for Recv to check without
	// the lock.
	cur       segment
	owed      int64
	cancelled atomic.Bool
	// testWaiting, set by tests only, is called by Recv before it waits.
	testWaiting func()

	// Arguments sent in pieces (stream mode).
	sendMu    sync.Mutex
	sendEnded bool
	argCredit atomic.Int64  // argument bytes the callee will still take
	argNotify chan struct{} // argument credit arrived
}

// segment is values of a stream queued for Recv: data holds them back to
// back, value i ending at ends[i]; next is the next one's index and off
// where it begins. A single value has no ends. Taking a value changes only
// the integers (a pointer store per value cost a write barrier each while
// the collector runs).
type segment struct {
	data      []byte
	ends      []uint32
	off, next uint32
}

// left reports how many values of a run the segment still holds (0 for a
// single value, which has no ends).
func (sg *segment) left() int { return len(sg.ends) - int(sg.next) }

// take returns the next value of a run; the segment must have one left.
func (sg *segment) take() []byte {
	end := sg.ends[sg.next]
	c := sg.data[sg.off:end:end]
	sg.off, sg.next = end, sg.next+1
	return c
}

// Done returns a channel closed once the response is complete or the call
// has failed (with its wire, or by the callee's error).
func (p *Pending) Done() <-chan struct{} { return p.done }

// Wait blocks until the response is complete, the wire ends or ctx is done,
// and returns the response's values (a plain procedure answers one). If ctx
// ends first Wait returns its cause and the call stays open (see Cancel).
func (p *Pending) Wait(ctx context.Context) ([][]byte, error) {
	select {
	case <-p.done:
		return p.result()
	default:
	}
	// Yield once before parking: on a small call the answer is often being
	// read by now, and a parked caller costs a wake-up (a futex and a
	// thread's spin): measured on unary_small, 1.7x raw became 1.55x.
	runtime.Gosched()
	select {
	case <-p.done:
		return p.result()
	default:
	}
	select {
	case <-p.done:
		return p.result()
	case <-p.w.done:
		return p.orphaned()
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// orphaned is the result once the wire has ended: normally the outbound
// actor has finished the call by then; a call registered as the wire was
// stopping may never have had an actor.
func (p *Pending) orphaned() ([][]byte, error) {
	select {
	case <-p.done:
		return p.result()
	default:
		p.finish(terminated(p.w.Err()))
		return nil, p.err
	}
}

func (p *Pending) result() ([][]byte, error) {
	if p.err != nil {
		return nil, p.err
	}
	return p.chunks, nil
}

// Recv returns the next value of the response, in order, blocking until
// one arrives: io.EOF once the response is complete and every value was
// taken; the call's error (a RemoteError, a WireError) after the values
// that arrived before it. If ctx ends first the call is cancelled and Recv
// returns ctx's cause; after Cancel it returns ErrCancelled. Taking
// a value grants the callee credit for more (flow control). Recv is for
// calls made with Open; one goroutine at a time.
func (p *Pending) Recv(ctx context.Context) ([]byte, error) {
	if p.cur.left() > 0 && !p.cancelled.Load() {
		// A value of the run Recv took: no lock.
		c := p.cur.take()
		if p.owed += int64(len(c)); p.owed >= owedSettle || p.cur.left() == 0 {
			p.settle()
		}
		return c, nil
	}
	for {
		p.mu.Lock()
		if p.abandoned {
			p.mu.Unlock()
			if err := ctx.Err(); err != nil {
				return nil, context.Cause(ctx)
			}
			return nil, ErrCancelled
		}
		if p.head < len(p.segs) {
			if sg := &p.segs[p.head]; sg.left() > 1 {
				// A run of values: Recv takes it whole and serves it
				// without the lock (a lock per value, which the outbound
				// actor contends for as it queues runs, was a third of
				// taking one).
				p.cur = *sg
				*sg = segment{}
				p.advance()
				p.mu.Unlock()
				return p.Recv(ctx)
			}
			c := p.pop()
			grant := p.takeCredit(int64(len(c)))
			p.mu.Unlock()
			if grant > 0 {
				p.w.grant(wire.KindResponseCredit, p.key, grant, true)
			}
			return c, nil
		}
		if p.ended {
			err := p.err
			p.mu.Unlock()
			if err == nil {
				return nil, io.EOF
			}
			return nil, err
		}
		grant := p.growWindow()
		p.mu.Unlock()
		if grant > 0 {
			p.w.grant(wire.KindResponseCredit, p.key, grant, true)
		}
		if p.testWaiting != nil {
			p.testWaiting()
		}
		select {
		case <-p.notify:
		case <-p.w.done:
			p.orphaned()
		case <-ctx.Done():
			p.Cancel()
			return nil, context.Cause(ctx)
		}
	}
}

// pop takes the next value queued (stream mode). Called with mu held and a
// value queued.
func (p *Pending) pop() []byte {
	sg := &p.segs[p.head]
	if sg.ends == nil {
		c := sg.data
		*sg = segment{}
		p.advance()
		return c
	}
	c := sg.take()
	if sg.left() == 0 {
		*sg = segment{}
		p.advance()
	}
	return c
}

// advance moves past the head segment. Called with mu held.
func (p *Pending) advance() {
	p.head++
	if p.head == len(p.segs) {
		p.segs, p.head = p.segs[:0], 0
	}
}

// owedSettle is how many bytes of values Recv serves from its run before
// it accounts them for credit (settle): the grant the accounting triggers
// at half the window comes at most this much later.
const owedSettle = wire.InitialCredit / 8

// settle accounts the values Recv served from its run since it last
// settled, granting credit if that is due.
func (p *Pending) settle() {
	p.mu.Lock()
	grant := p.takeCredit(p.owed)
	p.owed = 0
	p.mu.Unlock()
	if grant > 0 {
		p.w.grant(wire.KindResponseCredit, p.key, grant, true)
	}
}

// takeCredit accounts n bytes taken by Recv and returns the credit to grant
// now (0 for none). Called with mu held.
func (p *Pending) takeCredit(n int64) int64 {
	if p.ended || !p.w.peerExt.Load() {
		return 0 // nothing more to come, or a peer without flow control
	}
	p.unacked += n
	p.taken += n
	if !p.widened {
		p.widened = true
		if extra := p.window - wire.InitialCredit; extra > 0 {
			p.unacked += extra
		}
	}
	if p.unacked < max(p.window, wire.InitialCredit)/2 {
		return 0
	}
	g := p.unacked
	p.unacked = 0
	return g
}

// growWindow is called by Recv, with mu held, when it finds nothing to
// read on a response still open: if the reader took at least half the
// initial window since the window last grew (a stream that moves data,
// not one that trickles), the window was too small to keep the reader
// supplied (the credit it grants takes a round trip to reach the callee),
// so it doubles, up to maxWindow. It returns the credit to grant now (0
// for none).
func (p *Pending) growWindow() int64 {
	if p.window >= p.maxWindow || p.taken < wire.InitialCredit/2 || !p.w.peerExt.Load() {
		return 0
	}
	extra := min(p.window, p.maxWindow-p.window)
	p.window += extra
	p.taken = 0
	g := p.unacked + extra
	p.unacked = 0
	return g
}

// Send sends payload (MessagePack values, concatenated) as more of the
// call's arguments, in a Call message with terminator None. With a callee
// that speaks the extensions it blocks while the callee's argument window
// is used up. On a fresh wire whose peer has sent nothing yet, a Send that
// finds the window used up first waits (up to peerWait) for the peer's
// first bytes, which say whether it speaks the extensions: a Rust peer
// writes nothing before it answers, and is then sent to without limit. It fails after CloseSend, once the call has ended, or when
// ctx ends. An empty payload sends nothing.
func (p *Pending) Send(ctx context.Context, payload []byte) error {
	if len(payload) == 0 {
		return nil
	}
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	if p.sendEnded {
		return ErrSendClosed
	}
	for p.argCredit.Load() <= 0 {
		if !p.w.peerExt.Load() && !p.w.awaitPeer(ctx) {
			break // a peer without flow control
		}
		select {
		case <-p.argNotify:
		case <-p.w.done:
			return terminated(p.w.Err())
		case <-p.done:
			return p.endErr()
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	select {
	case <-p.done:
		return p.endErr()
	default:
	}
	p.argCredit.Add(-int64(len(payload)))
	if err := p.w.out.frame(wire.KindCall, wire.TermNone, p.key.proc, p.key.call, payload, true); err != nil {
		return terminated(p.w.errOr(err))
	}
	return nil
}

// endErr is the error of a Send after the call ended.
func (p *Pending) endErr() error {
	if p.err != nil {
		return p.err
	}
	return ErrSendClosed
}

// CloseSend ends the call's arguments with a Call message with terminator
// Complete carrying last (the last arguments, or nothing); the callee runs
// a procedure that waits for its complete arguments once it arrives. Later
// calls return nil.
func (p *Pending) CloseSend(last []byte) error {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	if p.sendEnded {
		return nil
	}
	p.sendEnded = true
	if err := p.w.out.frame(wire.KindCall, wire.TermComplete, p.key.proc, p.key.call, last, true); err != nil {
		return terminated(p.w.errOr(err))
	}
	return nil
}

// Cancel abandons the call: values that arrive later are dropped, and a
// callee that speaks the extensions is sent a Cancel message (its procedure's
// context is cancelled; it answers with a cancelled error, which frees the
// call index). A callee without extensions cannot be told: the call index
// stays reserved until it answers. Cancel is idempotent and does nothing
// once the response has ended.
func (p *Pending) Cancel() {
	p.mu.Lock()
	if p.ended || p.abandoned {
		p.mu.Unlock()
		return
	}
	p.abandoned = true
	p.cancelled.Store(true)
	clear(p.chunks)
	clear(p.segs)
	p.chunks, p.segs, p.head = nil, nil, 0
	p.mu.Unlock()
	if p.w.peerExt.Load() {
		p.w.cancelCall(p.key)
		return
	}
	if p.stream {
		_ = p.CloseSend(nil) // let the callee run and answer, so the index is freed
	}
}

// pushAll queues values that arrived (outbound actor).
func (p *Pending) pushAll(vs [][]byte) {
	p.mu.Lock()
	switch {
	case p.abandoned:
	case p.stream:
		for _, v := range vs {
			p.segs = append(p.segs, segment{data: v})
		}
	default:
		if p.chunks == nil && len(vs) == 1 {
			p.one[0] = vs[0]
			p.chunks = p.one[:]
			break
		}
		p.chunks = append(p.chunks, vs...)
	}
	p.mu.Unlock()
	p.signal()
}

// pushRun queues a run of stream values (outbound actor, stream mode):
// data[off:ends[0]] is the first.
func (p *Pending) pushRun(data []byte, ends []uint32, off uint32) {
	if len(ends) == 0 {
		return
	}
	p.mu.Lock()
	if !p.abandoned {
		p.segs = append(p.segs, segment{data: data, ends: ends, off: off})
	}
	p.mu.Unlock()
	p.signal()
}

// finish ends the response with err (nil: complete).
func (p *Pending) finish(err error) {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return
	}
	p.ended, p.err = true, err
	p.mu.Unlock()
	close(p.done)
	p.signal()
}

func (p *Pending) signal() {
	if p.notify != nil {
		select {
		case p.notify <- struct{}{}:
		default:
		}
	}
}

// outboundActor collects the response of one call this side made and feeds
// its handle. When the wire routes the response's final frame to it, the
// wire takes it back for a later call (or stops it after that frame); if it
// is stopped before (its wire ending), the handle fails with
// ErrWireTerminated after the values that already arrived.
type outboundActor struct {
	w       *Wire
	call    *Pending
	current []byte
	unacked int64    // collect mode: bytes received and not yet granted back
	ended   bool     // true while idle
	values  int      // values of the current call so far
	batch   [][]byte // values of the message being handled, handed over together
}

// flush hands the values of the message just handled to the call's handle.
func (o *outboundActor) flush() {
	if len(o.batch) > 0 {
		o.call.pushAll(o.batch)
		clear(o.batch)
		o.batch = o.batch[:0]
	}
}

func (o *outboundActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case frameRef:
		o.frame(ctx, m.f)
		o.flush()
	case runRef:
		o.run(m.it)
		o.flush()
	case outBegin:
		*o = outboundActor{w: o.w, call: m.p, batch: o.batch}
	case *actor.Stopping:
		if !o.ended {
			o.ended = true
			o.call.finish(terminated(o.w.Err()))
		}
	}
}

func (o *outboundActor) frame(ctx actor.Context, f *wire.Frame) {
	if o.ended {
		return
	}
	switch f.Kind {
	case wire.KindArgumentCredit:
		if n, err := wire.ParseCredit(*f); err == nil {
			o.call.argCredit.Add(int64(min(n, 1<<62)))
			select {
			case o.call.argNotify <- struct{}{}:
			default:
			}
		}
		return
	case wire.KindError:
		code, msg, _ := wire.ParseError(*f)
		o.end(ctx, &RemoteError{Code: code, Message: msg})
		return
	case wire.KindResponse:
	default:
		return
	}
	switch f.Terminator {
	case wire.TermNone:
		o.current = append(o.current, f.Payload...)
		o.received(len(f.Payload))
	case wire.TermChunk, wire.TermComplete:
		chunk := f.Payload
		if len(o.current) > 0 {
			chunk = append(o.current, f.Payload...)
			o.current = nil
		}
		if len(chunk) == 0 && f.Terminator == wire.TermComplete && (o.call.stream || o.values > 0) && o.w.peerExt.Load() {
			// From a peer with the extensions an empty Complete only ends
			// a stream (after its values, or of none): failures come as
			// Error messages. (A collected response that is one empty
			// payload stays one: CallRaw returns it as it came.)
			o.end(ctx, nil)
			return
		}
		o.values++
		o.batch = append(o.batch, chunk)
		if f.Terminator == wire.TermComplete {
			o.end(ctx, nil)
			return
		}
		o.received(len(f.Payload))
	}
}

// run takes a run of stream values. A stream's handle queues it whole;
// a collected response takes its values one by one.
func (o *outboundActor) run(it *item) {
	if o.ended {
		return
	}
	vals, ends := it.Payload, it.ends
	var start uint32
	i := 0
	if len(o.current) > 0 {
		// The first value's earlier pieces came in None frames.
		start, i = ends[0], 1
		o.batch = append(o.batch, append(o.current, vals[:start]...))
		o.current = nil
	}
	if o.call.stream {
		o.flush() // what came before goes first
		o.call.pushRun(vals, ends[i:], start)
	} else {
		for ; i < len(ends); i++ {
			e := ends[i]
			o.batch = append(o.batch, vals[start:e:e])
			start = e
		}
	}
	o.values += len(ends)
	o.received(len(vals))
}

// received grants credit for n bytes of a collected response (the caller
// takes the whole response at once, so arriving is consuming); a stream's
// consumer grants in Recv instead.
func (o *outboundActor) received(n int) {
	if o.call.stream || !o.w.peerExt.Load() {
		return
	}
	o.unacked += int64(n)
	if o.unacked >= wire.InitialCredit/2 {
		o.w.grant(wire.KindResponseCredit, o.call.key, o.unacked, false)
		o.unacked = 0
	}
}

// end finishes the call. The actor is idle again: its wire, which routed
// the final frame, has already taken it back for a later call (see
// wireActor.route).
func (o *outboundActor) end(ctx actor.Context, err error) {
	o.flush()
	call := o.call
	*o = outboundActor{w: o.w, ended: true, batch: o.batch}
	call.finish(err)
}
