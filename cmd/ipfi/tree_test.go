package main

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfidebug"
)

// fixedView is an interface whose live view is a fixed snapshot: what
// ipfidebug.Expose answers with on it.
type fixedView struct {
	*ipfi.Interface
	s ipfidebug.Snapshot
}

func (f fixedView) Snapshot() ipfidebug.Snapshot { return f.s }

// TestTreeSizes: ipfi tree prints a wire's byte counts as human sizes, and
// -json prints them exact.
func TestTreeSizes(t *testing.T) {
	iface, err := ipfi.New()
	if err != nil {
		t.Fatal(err)
	}
	view := fixedView{iface, ipfidebug.Snapshot{Wires: []ipfidebug.WireSnapshot{{
		ID: 7, Peer: "127.0.0.1:50123", Age: time.Hour, BytesIn: 1080845650, BytesOut: 512,
	}}}}
	if err := ipfidebug.Expose(view, ipfidebug.SnapshotIndex); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := serveInterface(t, iface, l)

	stdout, stderr, code := cli(t, "tree", addr)
	wantOK(t, []string{"tree", addr}, stdout, stderr, code)
	if want := "interface: 1 wire\n└─ wire 7 127.0.0.1:50123  age 1h0m0s  in 1.0 GiB  out 512 B\n"; stdout != want {
		t.Errorf("tree printed %q, want %q", stdout, want)
	}
	stdout, stderr, code = cli(t, "tree", "-json", addr)
	wantOK(t, []string{"tree", "-json", addr}, stdout, stderr, code)
	if !strings.Contains(stdout, `"bytes_in":1080845650,"bytes_out":512`) {
		t.Errorf("tree -json printed %q, want the exact counts", stdout)
	}
}

// TestTreeJSONEmptyLists: ipfi tree -json of ipfi serve prints an empty
// list as [], not null: the tree's own wire calls nothing.
func TestTreeJSONEmptyLists(t *testing.T) {
	addr := serve(t, "tcp://127.0.0.1:0")
	stdout, stderr, code := cli(t, "tree", "-json", addr)
	wantOK(t, []string{"tree", "-json", addr}, stdout, stderr, code)
	if !strings.Contains(stdout, `"calling":[]`) || strings.Contains(stdout, "null") {
		t.Errorf("tree -json printed %q, want \"calling\":[] and no null", stdout)
	}
}
