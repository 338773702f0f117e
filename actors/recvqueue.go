package actors

import (
	"context"
	"errors"
	"io"

	"github.com/ipfi-go/ipfi/internal/core"
	"github.com/ipfi-go/ipfi/wire"
)

// recvQueue is the receive side of an outbound call: the response's values
// from the time the call's outbound actor queues them until the caller
// takes them. A call made with Start collects them for Wait; a call made
// with Open (stream) queues them for Recv, which takes them one by one and
// grants the callee credit as it does (flow control).
//
// Everything is guarded by the call's mutex except run and owed, which
// belong to the goroutine in Recv (one at a time).
type recvQueue struct {
	// Start: every value, for Wait.
	collected [][]byte
	one       [1][]byte // collected of a plain call's one value (no allocation)

	// Open: what only a stream needs, nil for a call made with Start (most
	// calls: their handle stays in a smaller size class).
	*streamQueue
}

// streamQueue is the part of a recvQueue that a call made with Open uses.
type streamQueue struct {
	// The values not yet taken, in segments (a run of values that arrived
	// together, or one value); segs[:head] were taken.
	segs   []segment
	head   int
	notify chan struct{}   // a value arrived or the call ended (one buffered signal)
	win    core.RecvWindow // response credit, granted as Recv takes values

	// Recv's run: the values of a run it took from segs in one go, which
	// it serves without the lock, and the bytes of them it served and has
	// not accounted for credit yet.
	run  segment
	owed int64
}

// stream reports whether the call was made with Open: its values go to
// segs for Recv.
func (q *recvQueue) stream() bool { return q.streamQueue != nil }

// segment is values of a stream queued for Recv: data holds them back to
// back, value i ending at ends[i]; next is the next one's index and off
// where it begins. A single value has no ends. Taking a value changes only
// the integers (no pointer store per value: no write barrier while the
// collector runs).
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

// signal wakes Recv (stream mode). It never blocks.
func (q *recvQueue) signal() {
	if q.stream() {
		select {
		case q.notify <- struct{}{}:
		default:
		}
	}
}

// drop forgets every value queued (a cancelled call). Called with the
// call's mutex held.
func (q *recvQueue) drop() {
	clear(q.collected)
	q.collected = nil
	if q.stream() {
		clear(q.segs)
		q.segs, q.head = nil, 0
	}
}

// queued reports whether a value waits in segs. Called with the mutex held.
func (q *recvQueue) queued() bool { return q.head < len(q.segs) }

// pop takes the next single value, or the next value of a run that has one
// left, from segs. Called with the mutex held and a value queued.
func (q *recvQueue) pop() []byte {
	sg := &q.segs[q.head]
	if sg.ends == nil {
		c := sg.data
		*sg = segment{}
		q.advance()
		return c
	}
	c := sg.take()
	if sg.left() == 0 {
		*sg = segment{}
		q.advance()
	}
	return c
}

// advance moves past the head segment. Called with the mutex held.
func (q *recvQueue) advance() {
	q.head++
	if q.head == len(q.segs) {
		q.segs, q.head = q.segs[:0], 0
	}
}

// push queues values that arrived (outbound actor): for Recv, or collected
// for Wait. Values for a call that has ended (cancelled) are dropped.
func (c *Call) push(vs [][]byte) {
	c.mu.Lock()
	q := &c.q
	switch {
	case c.loadState() != callWaiting:
	case q.stream():
		for _, v := range vs {
			q.segs = append(q.segs, segment{data: v})
		}
	default:
		q.collect(vs)
	}
	c.mu.Unlock()
	q.signal()
}

// collect adds values to a response collected whole (for Wait). Called
// with the call's mutex held.
func (q *recvQueue) collect(vs [][]byte) {
	if q.collected == nil && len(vs) == 1 {
		q.one[0] = vs[0]
		q.collected = q.one[:]
		return
	}
	q.collected = append(q.collected, vs...)
}

// pushRun queues a run of stream values (outbound actor, stream mode):
// data[off:ends[0]] is the first.
func (c *Call) pushRun(data []byte, ends []uint32, off uint32) {
	if len(ends) == 0 {
		return
	}
	c.mu.Lock()
	if c.loadState() == callWaiting {
		c.q.segs = append(c.q.segs, segment{data: data, ends: ends, off: off})
	}
	c.mu.Unlock()
	c.q.signal()
}

// Recv returns the next value of the response, in order, blocking until
// one arrives: io.EOF once the response is complete and every value was
// taken, and only then; the call's error (a RemoteError, a WireError)
// after the values that arrived before it. If ctx ends while the call is
// still going, the call is cancelled with ctx's cause, which Recv returns
// from then on, as it returns the cause of a Cancel; a call that had ended
// keeps its outcome. Once Recv has reported the end, it reports it again. Taking a value grants the callee credit for more (flow
// control). Recv is for calls made with Open; one goroutine at a time.
func (c *Call) Recv(ctx context.Context) ([]byte, error) {
	if !c.q.stream() {
		return nil, errNotStream
	}
	if ctx.Err() != nil {
		c.CancelCause(context.Cause(ctx)) // nothing if the call has ended
	}
	q := &c.q
	if q.run.left() > 0 && c.loadState() != callCancelled {
		// A value of the run Recv took: no lock.
		v := q.run.take()
		if q.owed += int64(len(v)); q.owed >= owedSettle || q.run.left() == 0 {
			c.settle(ctx)
		}
		return v, nil
	}
	for {
		c.mu.Lock()
		state := c.loadState()
		if state == callCancelled {
			err := c.err
			c.mu.Unlock()
			return nil, err
		}
		if q.queued() {
			if sg := &q.segs[q.head]; sg.left() > 1 {
				// A run of values: Recv takes it whole and serves it
				// without the lock, which the outbound actor contends for
				// as it queues runs.
				q.run = *sg
				*sg = segment{}
				q.advance()
				c.mu.Unlock()
				return c.Recv(ctx)
			}
			v := q.pop()
			var grant int64
			if c.owesCredit(state) {
				grant = q.win.Consumed(int64(len(v)))
			}
			c.mu.Unlock()
			c.w.grant(ctx, wire.KindResponseCredit, c.key, grant)
			return v, nil
		}
		if state != callWaiting {
			err := c.err
			c.mu.Unlock()
			if state == callComplete {
				return nil, io.EOF
			}
			return nil, err
		}
		var grant int64
		if c.owesCredit(state) {
			grant = q.win.Dry()
		}
		c.mu.Unlock()
		c.w.grant(ctx, wire.KindResponseCredit, c.key, grant)
		testHookRecvWaits()
		select {
		case <-q.notify:
		case <-c.w.done:
			c.failWithWire()
		case <-ctx.Done():
			c.CancelCause(context.Cause(ctx)) // then the loop reports how the call ended
		}
	}
}

// errNotStream is Recv's error for a call made with Start, whose response
// Wait collects.
var errNotStream = errors.New("actors: Recv on a call made with Start (use Wait)")

// owesCredit reports whether values Recv takes are granted back: not once
// nothing more will come, nor to a peer without flow control.
func (c *Call) owesCredit(state callState) bool {
	return state == callWaiting && c.w.peerExt()
}

// owedSettle is how many bytes of values Recv serves from its run before
// it accounts them for credit (settle): the grant the accounting triggers
// at half the window comes at most this much later.
const owedSettle = wire.InitialCredit / 8

// settle accounts the values Recv served from its run since it last
// settled, granting credit if that is due.
func (c *Call) settle(ctx context.Context) {
	c.mu.Lock()
	var grant int64
	if c.owesCredit(c.loadState()) {
		grant = c.q.win.Consumed(c.q.owed)
	}
	c.q.owed = 0
	c.mu.Unlock()
	c.w.grant(ctx, wire.KindResponseCredit, c.key, grant)
}

// testHookRecvWaits is called by Recv before it waits for a value (tests
// set it; see export_test.go).
var testHookRecvWaits = func() {}
