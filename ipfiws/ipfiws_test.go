package ipfiws_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiws"
	"github.com/ipfi-go/ipfi/wire"
)

var (
	greet  = ipfi.Proc2[string, string, string]{Index: 1}
	count  = ipfi.SeqProc1[int, int]{Index: 2}
	echo   = ipfi.Proc2[string, string, string]{Index: 3}
	whoAmI = ipfi.Proc2[string, string, string]{Index: 4}
)

const page = "an HTTP page\n"

// bounded is a context that ends the test's waits after 10 s.
func bounded(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newInterface is an interface closed when the test ends.
func newInterface(t testing.TB) *ipfi.Interface {
	t.Helper()
	i, err := ipfi.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { i.Close() })
	return i
}

// server is an interface with the test's procedures, served by an HTTP
// server on one port: a page at "/", IPFI at "/ipfi". wires receives the
// server's end of each wire that calls whoAmI.
type server struct {
	i     *ipfi.Interface
	srv   *httptest.Server
	wires chan *ipfi.Wire
}

func newServer(t testing.TB, tls bool, opts ...ipfi.Option) *server {
	t.Helper()
	s := &server{i: newInterface(t), wires: make(chan *ipfi.Wire, 1)}
	must(t, greet.Register(s.i, func(_ context.Context, greeting, name string) (string, error) {
		return greeting + ", " + name + "!", nil
	}))
	must(t, count.Register(s.i, func(_ context.Context, n int, yield func(int) error) error {
		for k := range n {
			if err := yield(k); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, echo.Register(s.i, func(_ context.Context, a, b string) (string, error) { return a + b, nil }))
	must(t, whoAmI.Register(s.i, func(ctx context.Context, _, _ string) (string, error) {
		s.wires <- ipfi.WireFrom(ctx)
		return "", nil
	}))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, page) })
	mux.Handle("/ipfi", ipfiws.Handler(s.i, opts...))
	if tls {
		s.srv = httptest.NewTLSServer(mux)
	} else {
		s.srv = httptest.NewServer(mux)
	}
	t.Cleanup(s.srv.Close)
	return s
}

// url is the server's address with scheme ws or wss.
func (s *server) url(path string) string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + path
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// get fetches path from s with client c and returns its status and body.
func get(t testing.TB, c *http.Client, s *server, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(bounded(t), http.MethodGet, s.srv.URL+path, nil)
	must(t, err)
	resp, err := c.Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, string(body)
}

// waitDone waits, bounded, for w to end.
func waitDone(t testing.TB, w *ipfi.Wire) {
	t.Helper()
	select {
	case <-w.Done():
	case <-bounded(t).Done():
		t.Fatal("wire did not end")
	}
}

func TestCallAndPageOnOnePort(t *testing.T) {
	s := newServer(t, false)
	ctx := bounded(t)
	w, err := ipfiws.Dial(ctx, newInterface(t), s.url("/ipfi"))
	must(t, err)
	got, err := greet.Call(ctx, w, "Hello", "WebSocket")
	if err != nil || got != "Hello, WebSocket!" {
		t.Fatalf("Call = %q, %v; want %q", got, err, "Hello, WebSocket!")
	}
	if code, body := get(t, s.srv.Client(), s, "/"); code != http.StatusOK || body != page {
		t.Fatalf("GET / = %d %q; want 200 %q", code, body, page)
	}
}

func TestStream(t *testing.T) {
	s := newServer(t, false)
	ctx := bounded(t)
	w, err := ipfiws.Dial(ctx, newInterface(t), s.url("/ipfi"))
	must(t, err)
	got, err := count.Collect(ctx, w, 1000)
	must(t, err)
	if len(got) != 1000 || got[0] != 0 || got[999] != 999 {
		t.Fatalf("Collect = %d values, want 0..999", len(got))
	}
}

// A call whose arguments exceed MaxMessage goes in several messages each
// way: writes are split, and the reader joins them.
func TestLargeCallSplitsMessages(t *testing.T) {
	s := newServer(t, false)
	ctx := bounded(t)
	w, err := ipfiws.Dial(ctx, newInterface(t), s.url("/ipfi"))
	must(t, err)
	a := strings.Repeat("a", 3*ipfiws.MaxMessage+1)
	b := strings.Repeat("b", ipfiws.MaxMessage)
	got, err := echo.Call(ctx, w, a, b)
	must(t, err)
	if got != a+b {
		t.Fatalf("echo returned %d bytes, want %d", len(got), len(a)+len(b))
	}
}

func TestServerCloseEndsClientWire(t *testing.T) {
	s := newServer(t, false)
	ctx := bounded(t)
	w, err := ipfiws.Dial(ctx, newInterface(t), s.url("/ipfi"))
	must(t, err)
	if _, err := greet.Call(ctx, w, "Hi", "server"); err != nil {
		t.Fatal(err)
	}
	must(t, s.i.Close())
	waitDone(t, w)
	if _, err := greet.Call(ctx, w, "Hi", "server"); !errors.Is(err, ipfi.ErrWireTerminated) {
		t.Fatalf("Call after the server closed = %v, want ErrWireTerminated", err)
	}
}

func TestClientCloseEndsServerWire(t *testing.T) {
	s := newServer(t, false)
	ctx := bounded(t)
	w, err := ipfiws.Dial(ctx, newInterface(t), s.url("/ipfi"))
	must(t, err)
	_, err = whoAmI.Call(ctx, w, "", "")
	must(t, err)
	theirs := <-s.wires
	must(t, w.Close())
	waitDone(t, theirs)
}

func TestWSS(t *testing.T) {
	s := newServer(t, true)
	ctx := bounded(t)
	w, err := ipfiws.DialWithOptions(ctx, newInterface(t), s.url("/ipfi"),
		&websocket.DialOptions{HTTPClient: s.srv.Client()})
	must(t, err)
	got, err := greet.Call(ctx, w, "Hello", "TLS")
	if err != nil || got != "Hello, TLS!" {
		t.Fatalf("Call = %q, %v; want %q", got, err, "Hello, TLS!")
	}
}

func TestPlainGETGetsErrorStatus(t *testing.T) {
	s := newServer(t, false)
	if code, _ := get(t, s.srv.Client(), s, "/ipfi"); code != http.StatusUpgradeRequired {
		t.Fatalf("GET /ipfi without upgrade = %d, want %d", code, http.StatusUpgradeRequired)
	}
}

func TestDialNonWebSocketFails(t *testing.T) {
	s := newServer(t, false)
	if _, err := ipfiws.Dial(bounded(t), newInterface(t), s.url("/")); err == nil {
		t.Fatal("Dial of an HTTP page succeeded")
	}
}

// A wire the server's interface refuses (it is closed, or the handler's
// options are invalid) is no wire: the upgrade succeeds, then the server
// closes the WebSocket (status 1011) and the client's wire ends with it.
// Which error the client's wire records depends on whether it was reading
// or writing then; that it ends is what counts.
func TestRefusedWireEnds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) *server
	}{
		{"closed interface", func(t *testing.T) *server {
			s := newServer(t, false)
			must(t, s.i.Close())
			return s
		}},
		{"invalid option", func(t *testing.T) *server {
			return newServer(t, false, ipfi.WithTLS(&tls.Config{}))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.setup(t)
			w, err := ipfiws.Dial(bounded(t), newInterface(t), s.url("/ipfi"))
			must(t, err)
			waitDone(t, w)
			if _, err := greet.Call(bounded(t), w, "Hi", "refused"); !errors.Is(err, ipfi.ErrWireTerminated) {
				t.Fatalf("Call on the refused wire = %v, want ErrWireTerminated", err)
			}
		})
	}
}

func TestDialInvalidOption(t *testing.T) {
	s := newServer(t, false)
	_, err := ipfiws.Dial(bounded(t), newInterface(t), s.url("/ipfi"), ipfi.WithTLS(&tls.Config{}))
	if !errors.Is(err, ipfi.ErrInvalidOption) {
		t.Fatalf("Dial with WithTLS = %v, want ErrInvalidOption", err)
	}
}

// A peer's message over MaxMessage ends the WebSocket with status 1009.
func TestMessageTooBig(t *testing.T) {
	s := newServer(t, false)
	ctx := bounded(t)
	c, _, err := websocket.Dial(ctx, s.url("/ipfi"), nil)
	must(t, err)
	defer c.CloseNow()
	c.SetReadLimit(-1)
	// One message over the limit: the start of a call whose 2 MiB of
	// arguments the wire would accept (they are under MaxFrame).
	msg := wire.AppendHeader(nil, wire.KindCall, wire.TermComplete, 1, 1, 2<<20)
	msg = append(msg, make([]byte, ipfiws.MaxMessage+1-len(msg))...)
	if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
		t.Fatal(err)
	}
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
			t.Fatalf("Read = %v (status %v), want status %v", err, got, websocket.StatusMessageTooBig)
		}
		return
	}
}

// signalWriter closes ended at the first log line that says a wire ended.
type signalWriter struct {
	once  sync.Once
	ended chan struct{}
}

func (s *signalWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("wire ended")) {
		s.once.Do(func() { close(s.ended) })
	}
	return len(p), nil
}

// A peer that breaks the protocol and then ignores the WebSocket close
// handshake does not hold up its wire's end: the handshake's wait (up to
// 5 s) happens off the wire's goroutines, and Close returns at once.
func TestUnresponsivePeerDoesNotHoldClose(t *testing.T) {
	log := &signalWriter{ended: make(chan struct{})}
	i, err := ipfi.New(ipfi.WithLogger(slog.New(slog.NewTextHandler(log, nil))))
	must(t, err)
	t.Cleanup(func() { i.Close() })
	srv := httptest.NewServer(ipfiws.Handler(i))
	t.Cleanup(srv.Close)
	ctx := bounded(t)
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	must(t, err)
	defer c.CloseNow()
	// A call declaring 64 MiB of arguments, over MaxFrame: the wire ends.
	// The client then reads nothing, so it never answers the close frame.
	msg := wire.AppendHeader(nil, wire.KindCall, wire.TermComplete, 1, 1, 64<<20)
	must(t, c.Write(ctx, websocket.MessageBinary, msg))
	select {
	case <-log.ended:
	case <-ctx.Done():
		t.Fatal("the server's wire did not end")
	}
	start := time.Now()
	must(t, i.Close())
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v: it waited for the close handshake", d)
	}
}
