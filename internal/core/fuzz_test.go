package core

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ipfi-go/ipfi/wire"
)

// FuzzConn drives a Conn with a random sequence of events, each byte of the
// input choosing one (the peer's messages, in any order and on any pair,
// and the owner's requests), and checks the core's invariants after each:
//
//   - a call index is never reused while the peer may still send on it
//     (this side's calls);
//   - every call of the peer ends exactly once: one final message per
//     call that ran, and at most one for any other;
//   - the arguments held never exceed MaxWireArgs, the responses being
//     collected never exceed MaxCollected, and the open calls never
//     exceed MaxOpenCalls.
func FuzzConn(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{0, 3, 3, 3, 17, 20, 21, 22, 3, 4})
	f.Add(bytes.Repeat([]byte{2, 16, 18, 19}, 20))
	f.Fuzz(func(t *testing.T, ops []byte) {
		h := newFuzzHarness()
		for i, op := range ops {
			if i > 2000 || h.c.State() == WireEnding {
				break
			}
			h.step(t, op)
			h.check(t)
		}
	})
}

const (
	fuzzMaxWireArgs  = 64
	fuzzMaxOpenCalls = 4
	fuzzMaxCollected = 8
)

type fuzzHarness struct {
	c     *Conn
	dec   *wire.Decoder
	ran   map[Key]*InCall // calls of the peer that run and are not answered yet
	mine  []*OutCall      // this side's calls, in order
	taken map[Key]*OutCall
	// answered are the peer's calls answered by their procedures, which
	// have not returned yet.
	answered []*InCall
	rnd      uint64
}

func newFuzzHarness() *fuzzHarness {
	h := &fuzzHarness{
		c: New(Config{Version: 2, MaxCallArgs: 32, MaxWireArgs: fuzzMaxWireArgs, MaxOpenCalls: fuzzMaxOpenCalls, MaxCollected: fuzzMaxCollected, Lookup: func(p uint64) ProcKind {
			return ProcKind(p % 5)
		}}),
		dec:   wire.NewDecoder(0),
		ran:   map[Key]*InCall{},
		taken: map[Key]*OutCall{},
	}
	h.dec.SetExtensionVersion(2)
	return h
}

// next returns a small pseudo-random number (the pair and sizes of an op).
func (h *fuzzHarness) next(n uint64) uint64 {
	h.rnd = h.rnd*6364136223846793005 + 1442695040888963407
	return (h.rnd >> 33) % n
}

// step performs the event op chooses.
func (h *fuzzHarness) step(t *testing.T, op byte) {
	k := Key{h.next(5), h.next(3)}
	payload := bytes.Repeat([]byte{1}, int(h.next(24)))
	var in []byte
	switch op % 24 {
	case 0:
		in = []byte{byte(wire.KindAnnounce), byte(wire.KindAnnounce2)}
	case 1:
		in = []byte{byte(wire.KindAnnounce)}
	case 2, 3:
		in = append(wire.AppendHeader(nil, wire.KindCall, wire.TermNone, k.Proc, k.Call, len(payload)+1), append(payload, 1)...)
	case 4, 5:
		in = append(wire.AppendHeader(nil, wire.KindCall, wire.TermComplete, k.Proc, k.Call, len(payload)), payload...)
	case 6:
		in = wire.AppendCancel(nil, k.Proc, k.Call)
	case 7:
		in = wire.AppendCredit(nil, wire.KindResponseCredit, k.Proc, k.Call, h.next(1<<17))
	case 8:
		in = wire.AppendDeadline(nil, k.Proc, k.Call, h.next(2))
	case 9:
		in = []byte{byte(wire.KindPing), 0xc0, 0, 1, 0, byte(wire.KindEndOfInput)}
	case 10, 11:
		h.answer(t, op)
	case 12:
		h.returned()
	case 13:
		h.call(t)
	case 14, 15:
		in = h.respond(op)
	case 16:
		if len(h.mine) > 0 {
			h.c.Abandon(h.mine[h.next(uint64(len(h.mine)))])
		}
	case 17:
		if len(h.mine) > 0 {
			_ = h.c.CloseSend(h.mine[h.next(uint64(len(h.mine)))], payload)
		}
	case 18:
		h.c.Drain()
	case 19:
		h.yield(t, k, payload)
	case 20:
		h.c.InputEnded()
	case 21:
		in = wire.AppendCredit(nil, wire.KindArgumentCredit, k.Proc, k.Call, h.next(1<<17))
	case 22:
		if len(h.mine) > 0 {
			_ = h.c.SendPiece(h.mine[h.next(uint64(len(h.mine)))], payload)
		}
	case 23:
		in = []byte{byte(wire.KindTermination)}
	}
	if in != nil {
		if err := h.c.Receive(in); err != nil && !errors.Is(err, wire.ErrMalformed) {
			t.Fatalf("Receive: %v", err)
		}
	}
	for _, ev := range h.c.Events() {
		if ev.Kind == EvRun || ev.Kind == EvRunBidi {
			if h.ran[ev.Key] != nil {
				t.Fatalf("call %v ran while the pair's last call runs", ev.Key)
			}
			h.ran[ev.Key] = ev.Call
		}
	}
}

// answer answers a call that runs, as its procedure would.
func (h *fuzzHarness) answer(t *testing.T, op byte) {
	for k, ic := range h.ran {
		var err error
		if op%2 == 0 {
			err = h.c.Answer(ic, []byte{0xc0}, nil)
		} else {
			err = h.c.Answer(ic, nil, &Failure{Code: wire.CodeProcedure, Message: "boom"})
		}
		if err != nil {
			t.Fatalf("answering running call %v: %v", k, err)
		}
		h.answered = append(h.answered, ic)
		if err := h.c.Answer(ic, nil, nil); !errors.Is(err, ErrAnswered) {
			t.Fatalf("a second answer of %v: %v, want ErrAnswered", k, err)
		}
		delete(h.ran, k)
		return
	}
}

// returned ends the procedures of calls that were answered.
func (h *fuzzHarness) returned() {
	for _, ic := range h.answered {
		h.c.Returned(ic)
	}
	h.answered = h.answered[:0]
}

// yield sends a stream value of a running call.
func (h *fuzzHarness) yield(t *testing.T, k Key, v []byte) {
	if len(v) == 0 {
		v = []byte{1}
	}
	ic := h.ran[k]
	if ic == nil {
		return
	}
	if err := h.c.Yield(ic, v); err != nil && !errors.Is(err, ErrAnswered) && !errors.Is(err, ErrNoCredit) {
		t.Fatalf("Yield: %v", err)
	}
}

// call makes a call of this side's, checking its pair is not taken.
func (h *fuzzHarness) call(t *testing.T) {
	oc, err := h.c.Open(h.next(2), NoExtras)
	if err != nil {
		return
	}
	if prev := h.taken[oc.Key]; prev != nil && h.c.outCalls[oc.Key] != prev && (prev.Send == SendOpen || prev.State == OutWaiting || prev.State == OutAbandoned) {
		t.Fatalf("pair %v reused while the peer may still send on it", oc.Key)
	}
	h.taken[oc.Key] = oc
	h.mine = append(h.mine, oc)
}

// respond is the peer's answer to one of this side's calls.
func (h *fuzzHarness) respond(op byte) []byte {
	if len(h.mine) == 0 {
		return nil
	}
	k := h.mine[h.next(uint64(len(h.mine)))].Key
	if op%2 == 0 {
		return append(wire.AppendHeader(nil, wire.KindResponse, wire.Terminator(h.next(3)), k.Proc, k.Call, 1), 1)
	}
	return wire.AppendError(nil, k.Proc, k.Call, wire.CodeProcedure, "no")
}

// check asserts the invariants after a step.
func (h *fuzzHarness) check(t *testing.T) {
	if h.c.held > fuzzMaxWireArgs || h.c.held < 0 {
		t.Fatalf("the calls hold %d bytes, over MaxWireArgs %d", h.c.held, fuzzMaxWireArgs)
	}
	if h.c.collected > fuzzMaxCollected || h.c.collected < 0 {
		t.Fatalf("the calls collect %d bytes of responses, over MaxCollected %d", h.c.collected, fuzzMaxCollected)
	}
	if h.c.open > fuzzMaxOpenCalls || h.c.open < len(h.c.in) {
		t.Fatalf("%d calls open (%d in the table), MaxOpenCalls %d", h.c.open, len(h.c.in), fuzzMaxOpenCalls)
	}
	// One final message per call of the peer: decode what was written.
	finals := map[Key]int{}
	err := h.dec.Feed(h.c.Output(), func(f wire.Frame) error {
		if f.Kind == wire.KindError || (f.Kind == wire.KindResponse && f.Terminator == wire.TermComplete) {
			finals[Key{f.Procedure, f.Call}]++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the core wrote a malformed frame: %v", err)
	}
	h.c.Written(len(h.c.Output()))
	for k, n := range finals {
		if n > 1 {
			t.Fatalf("call %v answered %d times in one step", k, n)
		}
		if ic := h.ran[k]; ic != nil {
			t.Fatalf("running call %v was answered by the core, not its procedure (%v)", k, ic.State)
		}
	}
}
