package core

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ipfi-go/ipfi/wire"
)

// row is one transition of STATES.md.
type row struct{ from, event, to string }

// stateRows reads the tables of STATES.md.
func stateRows(t *testing.T) []row {
	t.Helper()
	f, err := os.Open("STATES.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(strings.Trim(sc.Text(), "| "), " | ")
		if !strings.HasPrefix(sc.Text(), "| ") || len(cells) != 3 || cells[0] == "from" || cells[0] == "---" {
			continue
		}
		rows = append(rows, row{cells[0], cells[1], cells[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// The names of each machine's states, as STATES.md and the code spell them.
var (
	inNames   = map[InState]string{InReceiving: "InReceiving", InOverLimit: "InOverLimit", InRunning: "InRunning", InDraining: "InDraining", InAnswered: "InAnswered", InGone: "InGone"}
	outNames  = map[OutState]string{OutWaiting: "OutWaiting", OutAbandoned: "OutAbandoned", OutComplete: "OutComplete", OutFailed: "OutFailed"}
	sendNames = map[SendState]string{SendUnsent: "SendUnsent", SendOpen: "SendOpen", SendClosed: "SendClosed"}
	wireNames = map[WireState]string{WireUp: "WireUp", WireDraining: "WireDraining", WireInputEnded: "WireInputEnded", WireClosing: "WireClosing", WireEnding: "WireEnding"}
	peerNames = map[PeerState]string{PeerUnheard: "PeerUnheard", PeerAnnouncing: "PeerAnnouncing", PeerPlain: "PeerPlain", PeerV1: "PeerV1", PeerV2: "PeerV2", PeerGoingAway: "PeerGoingAway"}
)

// allNamed checks that every value of a state type up to the first that
// String does not know has a name in names: a state added to the code and
// not to the test (and so to STATES.md, see TestStateTable) fails here.
func allNamed[S ~uint8](t *testing.T, names map[S]string, unknown string) []string {
	t.Helper()
	var all []string
	for s := S(0); fmt.Sprint(s) != unknown; s++ {
		name, ok := names[s]
		if !ok {
			t.Errorf("state %v (%d) has no name in the test, and so no row in STATES.md", s, s)
			continue
		}
		all = append(all, name)
	}
	return all
}

// TestStateTable drives the core through every row of STATES.md and checks
// that every state of every machine has a row.
func TestStateTable(t *testing.T) {
	var states []string
	states = append(states, allNamed(t, inNames, "InState(?)")...)
	states = append(states, allNamed(t, outNames, "OutState(?)")...)
	states = append(states, allNamed(t, sendNames, "SendState(?)")...)
	states = append(states, allNamed(t, wireNames, "WireState(?)")...)
	states = append(states, allNamed(t, peerNames, "PeerState(?)")...)
	rows := stateRows(t)
	if len(rows) < 40 {
		t.Fatalf("STATES.md has %d rows", len(rows))
	}
	hasRow := map[string]bool{}
	for _, r := range rows {
		hasRow[r.from] = true
		t.Run(r.from+"/"+r.event, func(t *testing.T) {
			got, err := drive(r.from, r.event)
			if err != nil {
				t.Fatal(err)
			}
			if got != r.to {
				t.Fatalf("%s, %s: ended %s, STATES.md says %s", r.from, r.event, got, r.to)
			}
		})
	}
	for _, s := range states {
		if !hasRow[s] {
			t.Errorf("state %s has no row in STATES.md", s)
		}
	}
}

// drive puts a Conn in state from, gives it event and names where it ends.
func drive(from, event string) (string, error) {
	switch {
	case from == "(new)" || strings.HasPrefix(from, "In"):
		return driveIn(from, event)
	case strings.HasPrefix(from, "Out"), strings.HasPrefix(from, "Send"):
		return driveOut(from, event)
	case strings.HasPrefix(from, "Wire"):
		return driveWire(from, event)
	case strings.HasPrefix(from, "Peer"):
		return drivePeer(from, event)
	}
	return "", fmt.Errorf("no machine has state %q", from)
}

// The procedures of the test Conns.
const (
	procUnary    = 1
	procBidi     = 2
	procUnknown  = 3
	callLimit    = 16 // MaxCallArgs
	collectLimit = 64 // MaxCollected
)

func testConn(peerVersion int) *Conn {
	c := New(Config{Version: 2, MaxCallArgs: callLimit, MaxCollected: collectLimit, Lookup: func(p uint64) ProcKind {
		switch p {
		case procUnary:
			return ProcUnary
		case procBidi:
			return ProcBidi
		}
		return ProcUnknown
	}})
	switch peerVersion {
	case 1:
		must(c.Receive([]byte{byte(wire.KindAnnounce), byte(wire.KindEndOfInput)}))
	case 2:
		must(c.Receive([]byte{byte(wire.KindAnnounce), byte(wire.KindAnnounce2)}))
	}
	c.Events()
	return c
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func callMsg(proc uint64, t wire.Terminator, payload []byte) []byte {
	return append(wire.AppendHeader(nil, wire.KindCall, t, proc, 0, len(payload)), payload...)
}

var over = make([]byte, callLimit+1) // a piece over MaxCallArgs

// driveIn drives an inbound call.
func driveIn(from, event string) (string, error) {
	peer := 2
	if from == "InOverLimit" || event == "PieceOverLimit" || event == "AnswerInputOpenV1" {
		peer = 1 // a caller without version 2 is answered at its Complete piece
	}
	c := testConn(peer)
	proc := uint64(procUnary)
	switch event {
	case "PieceBidi", "FirstPieceBidi", "AnswerInputOpen", "AnswerInputOpenV1":
		proc = procBidi
	case "CompleteUnknown":
		proc = procUnknown
	case "InputEnded":
		if from == "InRunning" {
			proc = procBidi
		}
	case "CompleteNoTime":
		must(c.Receive(wire.AppendDeadline(nil, proc, 0, 0)))
	case "FirstPieceRefused", "FirstCompleteRefused":
		c.Drain()
	}
	k := Key{proc, 0}
	ic, err := setIn(c, from, proc)
	if err != nil {
		return "", err
	}
	err = inEvent(c, k, ic, event)
	switch {
	case errors.Is(err, wire.ErrMalformed):
		return "(malformed)", nil
	case err != nil:
		return "", err
	}
	if ic == nil { // a new call: the one the event opened, if any
		if ic = c.InCall(k); ic == nil {
			return "InGone", nil
		}
	}
	return inNames[ic.State], nil
}

// setIn opens call (proc, 0) in state from and returns it (nil for
// "(new)").
func setIn(c *Conn, from string, proc uint64) (*InCall, error) {
	var err error
	switch from {
	case "(new)":
		return nil, nil
	case "InReceiving":
		err = c.Receive(callMsg(proc, wire.TermNone, []byte{1}))
	case "InOverLimit", "InDraining":
		err = c.Receive(callMsg(proc, wire.TermNone, over))
	case "InRunning", "InAnswered", "InGone":
		if proc == procBidi {
			err = c.Receive(callMsg(proc, wire.TermNone, []byte{1}))
		} else {
			err = c.Receive(callMsg(proc, wire.TermComplete, []byte{1}))
		}
	default:
		return nil, fmt.Errorf("no inbound state %q", from)
	}
	ic := c.InCall(Key{proc, 0})
	if ic != nil && (from == "InAnswered" || from == "InGone") {
		err = errors.Join(err, c.Answer(ic, []byte{0xc0}, nil))
	}
	if ic != nil && from == "InGone" {
		c.Returned(ic)
	}
	if err == nil && (ic == nil || inNames[ic.State] != from) {
		return nil, fmt.Errorf("could not make a call %s: %+v", from, ic)
	}
	return ic, err
}

func inEvent(c *Conn, k Key, ic *InCall, event string) error {
	switch event {
	case "FirstPiece", "Piece", "FirstPieceBidi", "PieceBidi", "FirstPieceRefused":
		return c.Receive(callMsg(k.Proc, wire.TermNone, []byte{2}))
	case "FirstComplete", "Complete", "CompleteUnknown", "CompleteNoTime", "PieceReused", "FirstCompleteRefused", "NewCall":
		return c.Receive(callMsg(k.Proc, wire.TermComplete, []byte{3}))
	case "PieceOverLimit", "PieceOverLimitV2":
		return c.Receive(callMsg(k.Proc, wire.TermNone, over))
	case "Cancel":
		return c.Receive(wire.AppendCancel(nil, k.Proc, k.Call))
	case "Credit":
		return c.Receive(wire.AppendCredit(nil, wire.KindResponseCredit, k.Proc, k.Call, 10))
	case "InputEnded":
		c.InputEnded()
	case "Answer", "AnswerInputOpen", "AnswerInputOpenV1":
		if err := c.Answer(ic, []byte{0xc0}, nil); err != nil && !errors.Is(err, ErrAnswered) {
			return err
		}
	case "Fail":
		return c.Answer(ic, nil, &Failure{Code: wire.CodeProcedure, Message: "boom"})
	case "Returned":
		c.Returned(ic)
	default:
		return fmt.Errorf("no inbound event %q", event)
	}
	return nil
}

// driveOut drives an outbound call (its response and its arguments).
func driveOut(from, event string) (string, error) {
	c := testConn(2)
	oc, err := c.Open(7, NoExtras)
	if err != nil {
		return "", err
	}
	k := oc.Key
	switch from {
	case "OutWaiting", "SendUnsent":
	case "SendOpen":
		err = c.SendPiece(oc, []byte{1})
	case "OutAbandoned":
		err = c.SendPiece(oc, []byte{1}) // sent: the peer may answer after the Cancel
		c.Abandon(oc)
	case "OutComplete":
		err = c.Receive(append(wire.AppendHeader(nil, wire.KindResponse, wire.TermComplete, k.Proc, k.Call, 1), 1))
	case "OutFailed":
		err = c.Receive(wire.AppendError(nil, k.Proc, k.Call, wire.CodeProcedure, "boom"))
	case "SendClosed":
		err = c.CloseSend(oc, nil)
	default:
		return "", fmt.Errorf("no outbound state %q", from)
	}
	if err != nil {
		return "", err
	}
	switch event {
	case "Value":
		err = c.Receive(append(wire.AppendHeader(nil, wire.KindResponse, wire.TermChunk, k.Proc, k.Call, 1), 1))
	case "ValueOverCollected":
		err = c.Receive(append(wire.AppendHeader(nil, wire.KindResponse, wire.TermChunk, k.Proc, k.Call, collectLimit+1), make([]byte, collectLimit+1)...))
	case "Complete":
		err = c.Receive(append(wire.AppendHeader(nil, wire.KindResponse, wire.TermComplete, k.Proc, k.Call, 1), 1))
	case "Error":
		err = c.Receive(wire.AppendError(nil, k.Proc, k.Call, wire.CodeProcedure, "boom"))
	case "Abandon":
		c.Abandon(oc)
	case "InputEnded":
		c.InputEnded()
	case "SendPiece":
		err = c.SendPiece(oc, []byte{1})
	case "CloseSend":
		err = c.CloseSend(oc, nil)
	default:
		return "", fmt.Errorf("no outbound event %q", event)
	}
	if strings.HasPrefix(from, "Send") {
		return sendNames[oc.Send], err
	}
	return outNames[oc.State], err
}

// driveWire drives a wire's life.
func driveWire(from, event string) (string, error) {
	c := testConn(2)
	switch from {
	case "WireUp":
	case "WireDraining":
		c.Drain()
	case "WireInputEnded":
		c.InputEnded()
	case "WireClosing":
		c.Terminate()
	case "WireEnding":
		c.End()
	default:
		return "", fmt.Errorf("no wire state %q", from)
	}
	switch event {
	case "Drain":
		c.Drain()
	case "Terminate":
		c.Terminate()
	case "InputEnded":
		c.InputEnded()
	case "Termination":
		must(c.Receive([]byte{byte(wire.KindTermination)}))
	case "End":
		c.End()
	default:
		return "", fmt.Errorf("no wire event %q", event)
	}
	return wireNames[c.State()], nil
}

// drivePeer drives the negotiation of a side that speaks version 2.
func drivePeer(from, event string) (string, error) {
	c := testConn(0)
	var setup []byte
	switch from {
	case "PeerUnheard":
	case "PeerAnnouncing":
		setup = []byte{byte(wire.KindAnnounce)}
	case "PeerPlain":
		setup = []byte{byte(wire.KindEndOfInput)}
	case "PeerV1":
		setup = []byte{byte(wire.KindAnnounce), byte(wire.KindEndOfInput)}
	case "PeerV2":
		setup = []byte{byte(wire.KindAnnounce), byte(wire.KindAnnounce2)}
	case "PeerGoingAway":
		setup = wire.AppendGoAway([]byte{byte(wire.KindAnnounce), byte(wire.KindAnnounce2)})
	default:
		return "", fmt.Errorf("no peer state %q", from)
	}
	must(c.Receive(setup))
	switch event {
	case "Announce":
		must(c.Receive([]byte{byte(wire.KindAnnounce)}))
	case "Announce2":
		must(c.Receive([]byte{byte(wire.KindAnnounce2)}))
	case "Other":
		must(c.Receive([]byte{byte(wire.KindEndOfInput)}))
	case "Settle":
		c.Settle()
	case "GoAway":
		must(c.Receive(wire.AppendGoAway(nil)))
	default:
		return "", fmt.Errorf("no peer event %q", event)
	}
	return peerNames[c.Peer()], nil
}

var updateDot = flag.Bool("update", false, "rewrite state.dot from STATES.md")

// TestStateDot: state.dot draws exactly the rows of STATES.md (with
// -update, it is rewritten from them first).
func TestStateDot(t *testing.T) {
	if *updateDot {
		var b strings.Builder
		b.WriteString("// The protocol core's state machines: the rows of STATES.md, drawn. Render with\n")
		b.WriteString("// dot -Tsvg state.dot; rewrite with go test -run TestStateDot -update.\n")
		b.WriteString("digraph core {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"Helvetica\"];\n\tedge [fontname=\"Helvetica\", fontsize=10];\n")
		for _, r := range stateRows(t) {
			fmt.Fprintf(&b, "\t%q -> %q [label=%q];\n", r.from, r.to, r.event)
		}
		b.WriteString("}\n")
		if err := os.WriteFile("state.dot", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("state.dot")
	if err != nil {
		t.Fatal(err)
	}
	drawn := map[row]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		var r row
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "%q -> %q [label=%q];", &r.from, &r.to, &r.event); err == nil {
			drawn[r] = true
		}
	}
	rows := stateRows(t)
	for _, r := range rows {
		if !drawn[r] {
			t.Errorf("state.dot lacks %s -%s-> %s", r.from, r.event, r.to)
		}
		delete(drawn, r)
	}
	for r := range drawn {
		t.Errorf("state.dot draws %s -%s-> %s, which STATES.md does not have", r.from, r.event, r.to)
	}
}
