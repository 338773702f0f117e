package actors

import (
	"sync"

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
type inlineMailbox struct {
	mu        sync.Mutex
	user      queue
	sys       queue
	running   bool
	suspended bool
	invoker   actor.MessageInvoker
}

func newInlineMailbox() actor.Mailbox { return &inlineMailbox{} }

func (m *inlineMailbox) PostUserMessage(msg any) {
	m.mu.Lock()
	m.user.push(msg)
	m.drain()
}

func (m *inlineMailbox) PostSystemMessage(msg any) {
	m.mu.Lock()
	m.sys.push(msg)
	m.drain()
}

// drain is called with mu held and releases it. Unless the mailbox is
// running elsewhere, it processes messages until none is left.
func (m *inlineMailbox) drain() {
	if m.running {
		m.mu.Unlock()
		return
	}
	m.running = true
	for {
		msg, system := m.next()
		if msg == nil {
			m.running = false
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()
		m.invoke(msg, system)
		m.mu.Lock()
	}
}

// next pops the next message to process, system messages first, user
// messages only while not suspended. Called with mu held.
func (m *inlineMailbox) next() (msg any, system bool) {
	for {
		msg := m.sys.pop()
		if msg == nil {
			break
		}
		switch msg.(type) {
		case *actor.SuspendMailbox:
			m.suspended = true
		case *actor.ResumeMailbox:
			m.suspended = false
		default:
			return msg, true
		}
	}
	if m.suspended {
		return nil, false
	}
	return m.user.pop(), false
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
