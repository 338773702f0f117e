package actors

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// inlineMailbox is the mailbox of every actor in the tree. Like protoactor's
// default mailbox driven by its synchronized dispatcher, it runs on the
// goroutine that posts a message, unless another goroutine is already
// running it, in which case the message is queued for that goroutine; system
// messages go first; a panic in a handler is recovered and escalated to the
// supervisor. Unlike it, posting allocates nothing in steady state (no
// queue node, no closure per schedule) and an idle mailbox holds two nil
// slices. It ignores the dispatcher protoactor hands it: the actors' Props
// name none.
//
// Who owns what: the right to run the actor is the status flag, taken by
// compare-and-swap (idle to running) and given back by the goroutine that
// took it; suspended is that goroutine's. The queues are mu's, and queued
// counts their messages. A message posted to an idle mailbox with empty
// queues runs at once without touching mu (the common case: one message at
// a time), so an uncontended message costs two atomic operations and no
// lock; mu is taken only to queue a message behind another goroutine's
// run, and to take queued messages out.
type inlineMailbox struct {
	status    atomic.Uint32 // mailboxIdle or mailboxRunning
	queued    atomic.Int32  // messages in user and sys
	suspended atomic.Bool   // user messages are held (written by the running goroutine)
	mu        sync.Mutex
	user      queue
	sys       queue
	invoker   actor.MessageInvoker
}

// The mailbox's status: whether a goroutine is running its actor.
const (
	mailboxIdle uint32 = iota
	mailboxRunning
)

func newInlineMailbox() actor.Mailbox { return &inlineMailbox{} }

func (m *inlineMailbox) PostUserMessage(msg any) {
	if m.queued.Load() == 0 && m.status.CompareAndSwap(mailboxIdle, mailboxRunning) {
		// Nothing waits before it: it runs now, unless a message was
		// queued in the meantime or user messages are held.
		if m.queued.Load() != 0 || m.suspended.Load() {
			m.push(&m.user, msg)
		} else {
			m.invoke(msg, false)
		}
		m.run()
		return
	}
	m.push(&m.user, msg)
	if m.status.CompareAndSwap(mailboxIdle, mailboxRunning) {
		m.run()
	}
}

func (m *inlineMailbox) PostSystemMessage(msg any) {
	m.push(&m.sys, msg)
	if m.status.CompareAndSwap(mailboxIdle, mailboxRunning) {
		m.run()
	}
}

// push queues msg on q.
func (m *inlineMailbox) push(q *queue, msg any) {
	m.mu.Lock()
	q.push(msg)
	m.queued.Add(1)
	m.mu.Unlock()
}

// run is called by the goroutine that holds the running status. It
// processes the queued messages until none is left that may run, gives the
// status back, and takes it again if a message was queued meanwhile by a
// goroutine that found it running.
func (m *inlineMailbox) run() {
	for {
		if m.queued.Load() != 0 {
			for {
				msg, system := m.next()
				if msg == nil {
					break
				}
				m.invoke(msg, system)
			}
		}
		m.status.Store(mailboxIdle)
		if !m.runnable() || !m.status.CompareAndSwap(mailboxIdle, mailboxRunning) {
			return
		}
	}
}

// runnable reports whether a queued message may run: a system message, or a
// user message while not suspended.
func (m *inlineMailbox) runnable() bool {
	if m.queued.Load() == 0 {
		return false
	}
	if !m.suspended.Load() {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sys.len() > 0
}

// next pops the next message to process, system messages first, user
// messages only while not suspended. Called by the running goroutine.
func (m *inlineMailbox) next() (msg any, system bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		msg := m.sys.pop()
		if msg == nil {
			break
		}
		m.queued.Add(-1)
		switch msg.(type) {
		case *actor.SuspendMailbox:
			m.suspended.Store(true)
		case *actor.ResumeMailbox:
			m.suspended.Store(false)
		default:
			return msg, true
		}
	}
	if m.suspended.Load() {
		return nil, false
	}
	if msg := m.user.pop(); msg != nil {
		m.queued.Add(-1)
		return msg, false
	}
	return nil, false
}

func (m *inlineMailbox) invoke(msg any, system bool) {
	defer func() {
		if r := recover(); r != nil {
			m.invoker.EscalateFailure(r, msg)
		}
	}()
	if system {
		m.invoker.InvokeSystemMessage(msg)
	} else {
		m.invoker.InvokeUserMessage(msg)
	}
}

// drain takes the user messages still queued and passes each to f, in
// order: for an actor that has stopped, whose mailbox would drop them.
func (m *inlineMailbox) drain(f func(msg any)) {
	for {
		m.mu.Lock()
		msg := m.user.pop()
		if msg != nil {
			m.queued.Add(-1)
		}
		m.mu.Unlock()
		if msg == nil {
			return
		}
		f(msg)
	}
}

func (m *inlineMailbox) RegisterHandlers(invoker actor.MessageInvoker, _ actor.Dispatcher) {
	m.invoker = invoker
}

func (m *inlineMailbox) Start() {}

func (m *inlineMailbox) UserMessageCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.user.len()
}

// queue is a FIFO of messages on a slice whose backing array is reused once
// it empties.
type queue struct {
	items []any
	head  int
}

func (q *queue) push(v any) { q.items = append(q.items, v) }

func (q *queue) pop() any {
	if q.head == len(q.items) {
		return nil
	}
	v := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
		if cap(q.items) > 64 {
			q.items = nil
		}
	}
	return v
}

func (q *queue) len() int { return len(q.items) - q.head }
