package ipfidebug_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi/ipfidebug"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestSnapshotStringSizes: String prints the byte counts of a wire and of
// its streams as human sizes, in binary units.
func TestSnapshotStringSizes(t *testing.T) {
	s := ipfidebug.Snapshot{Wires: []ipfidebug.WireSnapshot{{
		ID: 1, Peer: "127.0.0.1:50123", Age: 2 * time.Second,
		BytesIn: 1080845650, BytesOut: 12595,
		Serving: []ipfidebug.CallSnapshot{{Procedure: 3, State: "running", Stream: true, Credit: 65536, Age: time.Second}},
		Calling: []ipfidebug.CallSnapshot{{Procedure: 9, Call: 4, State: "waiting", Stream: true, Window: 512}},
	}}}
	want := "interface: 1 wire\n" +
		"└─ wire 1 127.0.0.1:50123  age 2s  in 1.0 GiB  out 12.3 KiB\n" +
		"   ├─ serving procedure 3 call 0  running  stream (credit 64.0 KiB)  age 1s\n" +
		"   └─ calling procedure 9 call 4  waiting  stream (window 512 B)\n"
	if got := s.String(); got != want {
		t.Errorf("String:\n%s\nwant:\n%s", got, want)
	}
}

// TestSnapshotJSONEmptyLists: the lists of a snapshot encode as [] when
// they are empty, never as null, however the snapshot was made; the
// numbers stay exact.
func TestSnapshotJSONEmptyLists(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    ipfidebug.Snapshot
		want []string
	}{
		{"no wires", ipfidebug.Snapshot{}, []string{`"wires":[]`}},
		{"a wire without calls", ipfidebug.Snapshot{Wires: []ipfidebug.WireSnapshot{{ID: 1, BytesIn: 1080845650}}},
			[]string{`"serving":[]`, `"calling":[]`, `"bytes_in":1080845650`}},
		{"a wire serving a call", ipfidebug.Snapshot{Wires: []ipfidebug.WireSnapshot{{ID: 1, Serving: []ipfidebug.CallSnapshot{{Procedure: 2}}}}},
			[]string{`"serving":[{"procedure":2,`, `"calling":[]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			checkJSON(t, string(b), tc.want)
			var back ipfidebug.Snapshot
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("%s does not decode: %v", b, err)
			}
			if len(back.Wires) != len(tc.s.Wires) || (len(back.Wires) > 0 && back.Wires[0].BytesIn != tc.s.Wires[0].BytesIn) {
				t.Errorf("%s decodes as %+v, want %+v", b, back, tc.s)
			}
		})
	}
}

// fakeInterface answers a fixed snapshot.
type fakeInterface struct{ s ipfidebug.Snapshot }

func (f fakeInterface) Snapshot() ipfidebug.Snapshot { return f.s }

func (fakeInterface) Register(procedures.Index, procedures.Procedure) error { return nil }

// TestHandlerJSONEmptyLists: Handler's JSON has [] for an empty list too,
// and its text the human sizes.
func TestHandlerJSONEmptyLists(t *testing.T) {
	srv := httptest.NewServer(ipfidebug.Handler(fakeInterface{ipfidebug.Snapshot{Wires: []ipfidebug.WireSnapshot{{ID: 1, BytesIn: 2048}}}}))
	defer srv.Close()
	get := func(query string) string {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	checkJSON(t, get("?format=json"), []string{`"serving":[]`, `"calling":[]`})
	if text := get(""); !strings.Contains(text, "in 2.0 KiB  out 0 B") {
		t.Errorf("text view %q, want in 2.0 KiB  out 0 B", text)
	}
}

// checkJSON checks that doc holds each of want and no null.
func checkJSON(t *testing.T, doc string, want []string) {
	t.Helper()
	if strings.Contains(doc, "null") {
		t.Errorf("%s has a null", doc)
	}
	for _, w := range want {
		if !strings.Contains(doc, w) {
			t.Errorf("%s lacks %s", doc, w)
		}
	}
}
