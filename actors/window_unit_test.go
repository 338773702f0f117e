package actors

import (
	"testing"

	"github.com/ipfi-go/ipfi/wire"
)

const ic = wire.InitialCredit

// TestSendWindowSpendsAndWaits: the producer starts with the initial
// credit, may overdraw it by one message, then is not ready until a grant
// arrives, which also signals it.
func TestSendWindowSpendsAndWaits(t *testing.T) {
	s := newSendWindow()
	if !s.ready() {
		t.Fatal("a new window is not ready")
	}
	s.spend(int(ic) - 1)
	if !s.ready() {
		t.Fatal("not ready with 1 byte of credit left")
	}
	s.spend(1000) // overdraws by the message's size
	if s.ready() {
		t.Fatal("ready with the credit overdrawn")
	}
	select {
	case <-s.granted():
		t.Fatal("a grant signalled before any arrived")
	default:
	}
	s.grant(500)
	<-s.granted()
	if s.ready() {
		t.Fatal("ready while the grant does not cover the overdraft")
	}
	s.grant(600)
	if !s.ready() {
		t.Fatal("not ready after grants that cover the overdraft")
	}
	for range 4 {
		s.grant(maxGrant)
		s.grant(maxGrant)
		if !s.ready() || s.allow.Left() <= 0 || s.allow.Left() > maxGrant {
			t.Fatalf("grants of maxGrant overflowed: allow %d", s.allow.Left())
		}
	}
}
