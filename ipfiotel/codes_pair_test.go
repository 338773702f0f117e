package ipfiotel_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiotel"
	"github.com/ipfi-go/ipfi/procedures"
)

// TestApplicationCodesTellCausesApart: through a real pair, an
// application error is recorded on both sides under the name
// WithErrorCodes gives its code (401 and 404 apart), another code as
// "other"; a panic as "panic", on both sides, leaving
// ipfi.server.active at 0; the wires' ends under their causes' tokens.
func TestApplicationCodesTellCausesApart(t *testing.T) {
	w, finish := telemetryPair(t, func(server *ipfi.Interface) {
		for code := range uint64(3) {
			must(t, server.Register(procedures.Index(code+1), procedures.Func0(func(context.Context) (int, error) {
				return 0, fmt.Errorf("user 7: %w", &ipfi.Error{Code: []uint64{401, 404, 500}[code]})
			})))
		}
		must(t, server.Register(4, procedures.Func0(func(context.Context) (int, error) { panic("boom") })))
	}, ipfiotel.WithErrorCodes(map[uint64]string{401: "unauthenticated"}), ipfiotel.WithErrorCodes(map[uint64]string{404: "not_found"}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for proc := range procedures.Index(4) {
		if _, err := ipfi.Call[int](ctx, w, proc+1); err == nil {
			t.Fatalf("procedure %d succeeded", proc+1)
		}
	}
	r := finish()
	want := map[string]int64{"[1 unauthenticated]": 1, "[2 not_found]": 1, "[3 other]": 1, "[4 panic]": 1}
	for _, side := range []string{"client", "server"} {
		if got := r.sums["ipfi."+side+".calls"]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ipfi.%s.calls: %v, want %v", side, got, want)
		}
		if got := r.durations["ipfi."+side+".duration"]; fmt.Sprint(got) != fmt.Sprint(map[string]uint64{"[1 unauthenticated]": 1, "[2 not_found]": 1, "[3 other]": 1, "[4 panic]": 1}) {
			t.Errorf("ipfi.%s.duration: %v", side, got)
		}
	}
	for k, n := range r.sums["ipfi.server.active"] {
		if n != 0 {
			t.Errorf("ipfi.server.active %s: %d after every call ended", k, n)
		}
	}
	// Close on the client's side ends its wire with ErrClosed; the
	// server's wire hears the Termination.
	if got, want := r.sums["ipfi.wires.ended"], map[string]int64{"[closed]": 1, "[peer_terminated]": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ipfi.wires.ended: %v, want %v", got, want)
	}
	for _, s := range r.spans {
		if s.Name() == "ipfi.serve 4" || s.Name() == "ipfi.call 4" {
			code := ""
			for _, a := range s.Attributes() {
				if a.Key == "code" {
					code = a.Value.AsString()
				}
			}
			if code != "panic" || s.Status().Code.String() != "Error" {
				t.Errorf("span %s: code %q, status %v; want panic, Error", s.Name(), code, s.Status())
			}
		}
	}
}

// TestErrorCodesMustBeTokens: New refuses a name WithErrorCodes cannot
// use (not a lower-case token, or one of the library's codes) with an
// error matching ipfi.ErrInvalidOption that names it.
func TestErrorCodesMustBeTokens(t *testing.T) {
	for _, name := range []string{"", "Unauthenticated", "not found", "401", "not-found", "ok", "other", "cancelled"} {
		_, err := ipfiotel.New(ipfiotel.WithErrorCodes(map[uint64]string{401: name}))
		if !errors.Is(err, ipfi.ErrInvalidOption) {
			t.Errorf("name %q: %v, want an error matching ipfi.ErrInvalidOption", name, err)
		}
	}
	if _, err := ipfiotel.New(ipfiotel.WithErrorCodes(map[uint64]string{401: "unauthenticated", 404: "not_found2"})); err != nil {
		t.Errorf("valid names: %v", err)
	}
}
