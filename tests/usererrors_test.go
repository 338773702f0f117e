package tests

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/wire"
)

// TestNilWireCallsFail: what WireFrom returns outside a procedure is nil;
// every call on it returns ErrNoWire instead of panicking.
func TestNilWireCallsFail(t *testing.T) {
	ctx := bounded(t, 10*time.Second)
	w := ipfi.WireFrom(ctx)
	if w != nil {
		t.Fatalf("WireFrom outside a procedure = %v, want nil", w)
	}
	checks := map[string]func() error{
		"Call":          func() error { _, err := ipfi.Call[int](ctx, w, 1); return err },
		"Call of a Raw": func() error { _, err := ipfi.Call[ipfi.Raw](ctx, w, 1, ipfi.Raw(nil)); return err },
		"Start":         func() error { _, err := w.Start(ctx, 1); return err },
		"Open":          func() error { _, err := w.Open(ctx, 1); return err },
		"Stream":        func() error { _, err := w.Stream(ctx, 1, nil); return err },
		"Collect":       func() error { _, err := ipfi.Collect[int](ctx, w, 1); return err },
		"Ping":          func() error { _, err := w.Ping(ctx); return err },
	}
	for name, f := range checks {
		if err := f(); !errors.Is(err, ipfi.ErrNoWire) {
			t.Errorf("%s on a nil wire: %v, want ErrNoWire", name, err)
		}
	}
}

// TestRegisterAfterCloseFails: registering on a closed interface returns
// ErrClosed.
func TestRegisterAfterCloseFails(t *testing.T) {
	i := mustNew(t)
	must(t, i.Close())
	err := i.Register(1, procedures.Func0(func(context.Context) (int, error) { return 1, nil }))
	if !errors.Is(err, ipfi.ErrClosed) {
		t.Fatalf("Register after Close: %v, want ErrClosed", err)
	}
}

// TestQuickCallbackOnItsOwnWireFails: a Quick procedure that calls back
// over its own wire (whose reader is running it) gets ErrQuickCallback at
// once instead of stopping the wire for good; the wire goes on serving.
func TestQuickCallbackOnItsOwnWireFails(t *testing.T) {
	server, client := newInterface(t), newInterface(t)
	must(t, server.Register(1, procedures.Quick(procedures.Func0(func(ctx context.Context) (bool, error) {
		_, err := ipfi.Call[int](ctx, ipfi.WireFrom(ctx), 5)
		_, perr := ipfi.WireFrom(ctx).Ping(ctx)
		return errors.Is(err, ipfi.ErrQuickCallback) && errors.Is(perr, ipfi.ErrQuickCallback), nil
	}))))
	must(t, server.Register(2, procedures.Quick(procedures.Func0(func(context.Context) (int, error) { return 2, nil }))))
	must(t, client.Register(5, procedures.Func0(func(context.Context) (int, error) { return 5, nil })))
	w, _ := connect(t, pipe, client, server)
	ctx := bounded(t, 10*time.Second)
	ok, err := ipfi.Call[bool](ctx, w, 1)
	if err != nil || !ok {
		t.Fatalf("quick procedure calling its own wire: %v, %v; want ErrQuickCallback for its call and ping", ok, err)
	}
	if n, err := ipfi.Call[int](ctx, w, 2); err != nil || n != 2 {
		t.Fatalf("the wire after it: %v, %v", n, err)
	}
}

// TestNestedCallErrorIsTheProcedures: a procedure that returns (wrapping)
// the error of a call it made is reported to its caller as a procedure
// error, not with the nested call's code.
func TestNestedCallErrorIsTheProcedures(t *testing.T) {
	server, client := newInterface(t), newInterface(t)
	must(t, server.Register(1, procedures.Func0(func(ctx context.Context) (int, error) {
		_, err := ipfi.Call[int](ctx, ipfi.WireFrom(ctx), 99) // the client has no procedure 99
		return 0, fmt.Errorf("nested: %w", err)
	})))
	w, _ := connect(t, pipe, client, server)
	_, err := ipfi.Call[int](bounded(t, 10*time.Second), w, 1)
	var re *ipfi.RemoteError
	if !errors.As(err, &re) || re.Code != wire.CodeProcedure || errors.Is(err, procedures.ErrUnknown) {
		t.Fatalf("call whose procedure failed on a nested unknown procedure: %v, want a procedure error (not unknown procedure)", err)
	}
}

// TestDecodeErrorNamesTheProcedure: a response that does not decode into
// the caller's type is an error matching ErrDecode that names the
// procedure, for calls and streams.
func TestDecodeErrorNamesTheProcedure(t *testing.T) {
	server, client := newInterface(t), newInterface(t)
	must(t, server.Register(7, procedures.Func0(func(context.Context) (string, error) { return "seven", nil })))
	must(t, server.Register(8, procedures.Sequence0(func(_ context.Context, yield func(string) error) error { return yield("eight") })))
	w, _ := connect(t, pipe, client, server)
	ctx := bounded(t, 10*time.Second)
	if _, err := ipfi.Call[int](ctx, w, 7); !errors.Is(err, ipfi.ErrDecode) || !strings.Contains(err.Error(), "procedure 7") {
		t.Fatalf("Call decoding a string into an int: %v, want ErrDecode naming procedure 7", err)
	}
	if _, err := ipfi.Collect[int](ctx, w, 8); !errors.Is(err, ipfi.ErrDecode) || !strings.Contains(err.Error(), "procedure 8") {
		t.Fatalf("Collect decoding a string into an int: %v, want ErrDecode naming procedure 8", err)
	}
}

// records is a slog handler that keeps what it is given.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

// ended returns the "wire ended" records, as "LEVEL cause".
func (h *records) ended() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		if r.Message != "ipfi: wire ended" {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "cause" {
				out = append(out, r.Level.String()+" "+a.Value.String())
			}
			return true
		})
	}
	return out
}

// TestWireEndsAreLogged: a wire that ends for another reason than a clean
// close is logged through WithLogger with its cause (a malformed frame at
// Warn); one closed cleanly is not.
func TestWireEndsAreLogged(t *testing.T) {
	h := &records{}
	i := newInterface(t, ipfi.WithLogger(slog.New(h)))
	w, peer := newRawPeer(t, i)
	peer.send([]byte{byte(wire.KindCall), 0x80}, false) // terminator bits (0,1): malformed
	<-w.Done()
	if got := h.ended(); len(got) != 1 || !strings.HasPrefix(got[0], "WARN") || !strings.Contains(got[0], "malformed") {
		t.Fatalf("wire ended on a malformed frame: logged %q, want one WARN with the cause", got)
	}
	w2, _ := newRawPeer(t, i)
	must(t, w2.Close())
	if got := h.ended(); len(got) != 1 {
		t.Fatalf("a clean close was logged: %q", got)
	}
}
