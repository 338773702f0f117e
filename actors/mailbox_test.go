package actors

import (
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

// recordingInvoker records what a mailbox delivers.
type recordingInvoker struct {
	mb        *inlineMailbox
	got       []string
	escalated []any
	onUser    func(msg any)
}

func (r *recordingInvoker) InvokeSystemMessage(msg any) { r.got = append(r.got, "sys:"+msg.(string)) }
func (r *recordingInvoker) InvokeUserMessage(msg any) {
	r.got = append(r.got, "user:"+msg.(string))
	if r.onUser != nil {
		r.onUser(msg)
	}
}
func (r *recordingInvoker) EscalateFailure(reason, _ any) { r.escalated = append(r.escalated, reason) }

// TestInlineMailboxOrder: messages posted while the mailbox runs are queued
// and processed by the running goroutine, system messages first, user
// messages in order; suspension holds user messages only.
func TestInlineMailboxOrder(t *testing.T) {
	mb := newInlineMailbox().(*inlineMailbox)
	inv := &recordingInvoker{mb: mb}
	mb.RegisterHandlers(inv, nil)
	inv.onUser = func(msg any) {
		if msg == "a" { // posted from inside a handler: queued, not nested
			mb.PostUserMessage("b")
			mb.PostUserMessage("c")
			mb.PostSystemMessage("s")
		}
	}
	mb.PostUserMessage("a")
	want := []string{"user:a", "sys:s", "user:b", "user:c"}
	if len(inv.got) != len(want) {
		t.Fatalf("got %v, want %v", inv.got, want)
	}
	for i := range want {
		if inv.got[i] != want[i] {
			t.Fatalf("got %v, want %v", inv.got, want)
		}
	}
	inv.got, inv.onUser = nil, nil
	mb.PostSystemMessage(&actor.SuspendMailbox{})
	mb.PostUserMessage("held")
	if len(inv.got) != 0 || mb.UserMessageCount() != 1 {
		t.Fatalf("suspended mailbox delivered %v", inv.got)
	}
	mb.PostSystemMessage(&actor.ResumeMailbox{})
	if len(inv.got) != 1 || inv.got[0] != "user:held" {
		t.Fatalf("after resume: %v", inv.got)
	}
}

// TestInlineMailboxEscalatesPanics: a panicking handler is escalated and the
// mailbox goes on with the next message.
func TestInlineMailboxEscalatesPanics(t *testing.T) {
	mb := newInlineMailbox().(*inlineMailbox)
	inv := &recordingInvoker{mb: mb}
	inv.onUser = func(msg any) {
		if msg == "boom" {
			mb.PostUserMessage("after")
			panic("boom")
		}
	}
	mb.RegisterHandlers(inv, nil)
	mb.PostUserMessage("boom")
	if len(inv.escalated) != 1 || inv.escalated[0] != "boom" {
		t.Fatalf("escalated %v", inv.escalated)
	}
	if len(inv.got) != 2 || inv.got[1] != "user:after" {
		t.Fatalf("got %v", inv.got)
	}
}

// TestInlineMailboxConcurrentPosts: many goroutines posting at once; every
// message is processed exactly once, never two at a time.
func TestInlineMailboxConcurrentPosts(t *testing.T) {
	mb := newInlineMailbox().(*inlineMailbox)
	var inside, count int
	var bad bool
	inv := &recordingInvoker{mb: mb}
	inv.onUser = func(any) {
		inside++
		if inside != 1 {
			bad = true
		}
		count++
		inside--
	}
	mb.RegisterHandlers(inv, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				mb.PostUserMessage("x")
			}
		}()
	}
	wg.Wait()
	if bad || count != 8000 {
		t.Fatalf("count %d, overlapping handlers %v", count, bad)
	}
}
