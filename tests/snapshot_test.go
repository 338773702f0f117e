package tests

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfidebug"
)

// TestSnapshot: the live view lists each wire (its ID, label, peer, bytes)
// and the calls open on it, served and made, with their procedure, state
// and whether they stream, as a tree, as JSON and over the debug handler.
func TestSnapshot(t *testing.T) {
	start := time.Now()
	blk := newBlocker()
	server := newInterface(t)
	must(t, server.Register(1, blk.sequence()))
	must(t, server.Register(2, blk.unary()))
	client := newInterface(t)
	cw, sw := connect(t, tcp, client, server)
	sw.SetLabel("client")
	ctx := bounded(t, 10*time.Second)
	s, err := cw.Stream(ctx, 1, nil)
	must(t, err)
	defer s.Close()
	p, err := cw.Start(ctx, 2)
	must(t, err)
	<-blk.started
	<-blk.started
	// The client has read the server's bytes (its announcement, a pong):
	// the server's count of bytes out includes them.
	if _, err := cw.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	snapshotCheckServer(t, server.Snapshot(), sw.ID(), start)
	snapshotCheckClient(t, client.Snapshot(), start)
	snapshotCheckHandler(t, server)
	close(blk.release)
	var v int
	must(t, p.Wait(ctx, &v))
}

// snapshotCheckServer checks the server's live view in TestSnapshot: one
// wire, wireID, labelled "client", with its peer, bytes both ways and the
// peer's extensions, serving the two calls, and drawn as a tree.
func snapshotCheckServer(t *testing.T, snap ipfidebug.Snapshot, wireID uint64, start time.Time) {
	t.Helper()
	if len(snap.Wires) != 1 {
		t.Fatalf("the server's snapshot has %d wires:\n%s", len(snap.Wires), snap)
	}
	ws := snap.Wires[0]
	if ws.ID != wireID || ws.Label != "client" || ws.Peer == "" || ws.BytesIn == 0 || ws.BytesOut == 0 || !ws.PeerExtensions {
		t.Fatalf("the server's wire: %+v", ws)
	}
	if len(ws.Serving) != 2 {
		t.Fatalf("serving %+v, want 2 calls", ws.Serving)
	}
	snapshotCheckServing(t, ws.Serving, start)
	text := snap.String()
	for _, want := range []string{"interface: 1 wire", "wire ", "(client)", "serving procedure 1 call 0  running  stream", "serving procedure 2 call 0  running"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the tree lacks %q:\n%s", want, text)
		}
	}
}

// snapshotCheckServing checks the calls the server serves in TestSnapshot:
// all running, begun since start, and one of them the stream of procedure
// 1 with response credit.
func snapshotCheckServing(t *testing.T, serving []ipfidebug.CallSnapshot, start time.Time) {
	t.Helper()
	streams := 0
	for _, c := range serving {
		if c.State != "running" {
			t.Fatalf("a call served is %q, want running", c.State)
		}
		if c.Age <= 0 || c.Age > time.Since(start) {
			t.Fatalf("a call served is %v old, want more than 0 and less than the test (%v)", c.Age, time.Since(start))
		}
		if c.Stream {
			streams++
			if c.Procedure != 1 || c.Credit == 0 {
				t.Fatalf("the stream: %+v", c)
			}
		}
	}
	if streams != 1 {
		t.Fatalf("%d streams among the calls served, want 1", streams)
	}
}

// snapshotCheckClient checks the client's live view in TestSnapshot: one
// wire making the two calls, begun since start, one of them the stream of
// procedure 1 with a window of 64 KiB or more, drawn as a tree.
func snapshotCheckClient(t *testing.T, cs ipfidebug.Snapshot, start time.Time) {
	t.Helper()
	if len(cs.Wires) != 1 || len(cs.Wires[0].Calling) != 2 {
		t.Fatalf("the client's snapshot:\n%s", cs)
	}
	windows := 0
	for _, c := range cs.Wires[0].Calling {
		if c.Age <= 0 || c.Age > time.Since(start) {
			t.Fatalf("a call made is %v old, want more than 0 and less than the test (%v)", c.Age, time.Since(start))
		}
		if c.Stream {
			windows++
			if c.Procedure != 1 || c.Window < 64<<10 {
				t.Fatalf("the stream made: %+v, want procedure 1 with a window of 64 KiB or more", c)
			}
		}
	}
	if windows != 1 || !strings.Contains(cs.String(), "calling procedure 1 call 0  waiting  stream (window ") {
		t.Fatalf("the client's tree:\n%s", cs)
	}
}

// snapshotCheckHandler checks the debug handler over the server in
// TestSnapshot: its text shows a call served, its JSON the wire and its two
// calls.
func snapshotCheckHandler(t *testing.T, server *ipfi.Interface) {
	t.Helper()
	h := ipfidebug.Handler(server)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/ipfi", nil))
	if !strings.Contains(rec.Body.String(), "serving procedure 2") {
		t.Fatalf("the handler's text:\n%s", rec.Body.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/ipfi?format=json", nil))
	var decoded ipfidebug.Snapshot
	must(t, json.Unmarshal(rec.Body.Bytes(), &decoded))
	if len(decoded.Wires) != 1 || len(decoded.Wires[0].Serving) != 2 {
		t.Fatalf("the handler's JSON: %s", rec.Body.String())
	}
}

// TestExposeSnapshot: an interface that exposes its live view
// (ipfidebug.Expose) answers it, as JSON, to a peer over a wire; the
// peer's own call is in it.
func TestExposeSnapshot(t *testing.T) {
	ctx := bounded(t, 30*time.Second)
	a, b := newInterface(t), newInterface(t)
	must(t, ipfidebug.Expose(b, ipfidebug.SnapshotIndex))
	wa, _ := connect(t, tcp, a, b)
	raw, err := ipfi.Call[string](ctx, wa, ipfidebug.SnapshotIndex)
	must(t, err)
	var s ipfidebug.Snapshot
	must(t, json.Unmarshal([]byte(raw), &s))
	if len(s.Wires) != 1 || len(s.Wires[0].Serving) != 1 || s.Wires[0].Serving[0].Procedure != ipfidebug.SnapshotIndex {
		t.Fatalf("the exposed live view: %+v", s)
	}
}
