package tests

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestWireIdentityAndHooks: a wire has an ID, its peer's address and a
// label the program sets (here by a login procedure); the interface lists
// its wires and tells the hooks of each wire opening and ending, with its
// cause; logs name the wire by its ID and address.
func TestWireIdentityAndHooks(t *testing.T) {
	var mu sync.Mutex
	var opened []*ipfi.Wire
	endedCh := make(chan error, 4)
	h := &records{}
	server := newInterface(t, ipfi.WithLogger(slog.New(h)), ipfi.WithInterceptors(ipfi.Interceptor{WireOpened: func(w *ipfi.Wire) {
		mu.Lock()
		opened = append(opened, w)
		mu.Unlock()
	}, WireEnded: func(w *ipfi.Wire, cause error) { endedCh <- cause }}))
	must(t, server.Register(1, procedures.Func1(func(ctx context.Context, user string) (string, error) {
		w := ipfi.WireFrom(ctx)
		w.SetLabel(user)
		return w.String(), nil
	})))
	addr, _ := serveLoopback(t, server)
	client := newInterface(t)
	ctx := bounded(t, 10*time.Second)
	cw, err := client.Dial(ctx, "tcp", addr)
	must(t, err)
	seen, err := ipfi.Call[string](ctx, cw, 1, "alice")
	must(t, err)
	local := cw.RemoteAddr() // the server's address, from the client's side
	if local == nil || local.String() != addr {
		t.Fatalf("the client's wire's RemoteAddr = %v, want the server's %s", local, addr)
	}
	ws := server.Snapshot().Wires
	if len(ws) != 1 {
		t.Fatalf("the server lists %d wires, want 1", len(ws))
	}
	mu.Lock()
	if len(opened) != 1 || opened[0].ID() != ws[0].ID {
		t.Fatalf("opened hook saw %v, want the listed wire %d", opened, ws[0].ID)
	}
	sw := opened[0]
	mu.Unlock()
	if sw.ID() == 0 || sw.Label() != "alice" || sw.RemoteAddr() == nil {
		t.Fatalf("the server's wire: id %d, label %q, addr %v", sw.ID(), sw.Label(), sw.RemoteAddr())
	}
	if want := "(alice) " + sw.RemoteAddr().String(); !strings.Contains(seen, want) || seen != sw.String() {
		t.Fatalf("the wire's String = %q, want it to hold %q", seen, want)
	}
	must(t, cw.Close())
	select {
	case cause := <-endedCh:
		if !errors.Is(cause, ipfi.ErrPeerTerminated) {
			t.Fatalf("ended hook: %v, want ErrPeerTerminated", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the ended hook was not called")
	}
	if ws := server.Snapshot().Wires; len(ws) != 0 {
		t.Fatalf("after its end the server still lists %v", ws)
	}

	// A malformed frame: the log names the wire by its ID and address.
	c, err := net.Dial("tcp", addr)
	must(t, err)
	_, _ = c.Write([]byte{byte(wire.KindCall), 0x80})
	cause := <-endedCh
	c.Close()
	if !errors.Is(cause, wire.ErrMalformed) {
		t.Fatalf("ended hook: %v, want a malformed-input cause", cause)
	}
	found := false
	h.mu.Lock()
	for _, r := range h.recs {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "wire" && strings.Contains(a.Value.String(), c.LocalAddr().String()) {
				found = true
			}
			return true
		})
	}
	h.mu.Unlock()
	if !found {
		t.Fatalf("no log names the wire by the peer's address %s", c.LocalAddr())
	}
}

// TestProcessWireAddress: a wire to a child process names it.
func TestProcessWireAddress(t *testing.T) {
	host := newInterface(t)
	cmd := childCmd()
	w, err := host.ConnectCmd(cmd)
	must(t, err)
	a := w.RemoteAddr()
	if a == nil || a.Network() != "exec" || !strings.Contains(a.String(), "[") {
		t.Fatalf("a child's wire's address: %v", a)
	}
	must(t, w.Close())
}
