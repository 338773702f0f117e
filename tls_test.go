package ipfi_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
)

// tlsSetup is a certificate authority, a server certificate for 127.0.0.1
// and a client certificate for "alice", all made at run time.
type tlsSetup struct {
	ca     *ipfitest.CA
	server tls.Certificate
	client tls.Certificate
}

func newTLSSetup(t testing.TB) *tlsSetup {
	t.Helper()
	ca, err := ipfitest.NewCA()
	must(t, err)
	server, err := ca.Issue("127.0.0.1")
	must(t, err)
	client, err := ca.Issue("alice")
	must(t, err)
	return &tlsSetup{ca: ca, server: server, client: client}
}

// serverConfig is a server's config; clientAuth says what it asks of clients.
func (s *tlsSetup) serverConfig(clientAuth tls.ClientAuthType) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{s.server}, ClientAuth: clientAuth, ClientCAs: s.ca.Pool}
}

// clientConfig is a client's config that trusts the authority, with the
// client certificate if withCert.
func (s *tlsSetup) clientConfig(withCert bool) *tls.Config {
	c := &tls.Config{RootCAs: s.ca.Pool}
	if withCert {
		c.Certificates = []tls.Certificate{s.client}
	}
	return c
}

// serveOn runs srv.Serve with opts on a loopback listener until the test
// ends, and returns the listener's address.
func serveOn(t *testing.T, srv *ipfi.Interface, opts ...ipfi.Option) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), l, opts...) }()
	t.Cleanup(func() {
		srv.Close()
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after Close")
		}
	})
	return l.Addr().String()
}

// logRecords is a slog handler that sends each record to the channel
// (dropping it if the channel is full).
type logRecords chan slog.Record

func (h logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h logRecords) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h logRecords) WithGroup(string) slog.Handler            { return h }
func (h logRecords) Handle(_ context.Context, r slog.Record) error {
	select {
	case h <- r.Clone():
	default:
	}
	return nil
}

// waitRefused waits at most 10 s for the log's "ipfi: connection refused"
// line and returns it with its "err" attribute.
func waitRefused(t *testing.T, log logRecords) (slog.Record, error) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case r := <-log:
			if r.Message != "ipfi: connection refused" {
				continue
			}
			var err error
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == "err" {
					err, _ = a.Value.Any().(error)
				}
				return true
			})
			return r, err
		case <-timeout:
			t.Fatal("no \"connection refused\" line logged within 10 s")
		}
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// peerName is the procedure that returns the CommonName of its caller's
// certificate, "" for none, and fails on a wire without TLS.
func peerName(ctx context.Context) (string, error) {
	s := ipfi.WireFrom(ctx).TLS()
	if s == nil || !s.HandshakeComplete {
		return "", errors.New("no TLS state")
	}
	return clientName(s), nil
}

// TestTLSDialServe: WithTLS makes Dial and Serve speak TLS: a call goes
// through, both wires' TLS states say so (the client's names the server's
// certificate), and a wire without TLS has none.
func TestTLSDialServe(t *testing.T) {
	s := newTLSSetup(t)
	ctx := testCtx(t)
	srv, cli := newInterface(t), newInterface(t)
	defer cli.Close()
	must(t, srv.Register(1, procedures.Func0(peerName)))
	addr := serveOn(t, srv, ipfi.WithTLS(s.serverConfig(tls.NoClientCert)))

	w, err := cli.Dial(ctx, "tcp", addr, ipfi.WithTLS(s.clientConfig(false)))
	must(t, err)
	defer w.Close()
	name, err := ipfi.Call[string](ctx, w, 1)
	if err != nil || name != "" {
		t.Fatalf("call = %q, %v; want \"\" (no client certificate), nil", name, err)
	}
	st := w.TLS()
	if st == nil || !st.HandshakeComplete || clientName(st) != "127.0.0.1" || len(st.VerifiedChains) == 0 {
		t.Fatalf("client's TLS() = %+v, want a verified handshake with 127.0.0.1", st)
	}
	if w.TLS() != st {
		t.Error("TLS() is not the same state each time")
	}

	a, b := net.Pipe()
	plain, err := cli.Connect(a, a)
	must(t, err)
	defer plain.Close()
	defer b.Close()
	if plain.TLS() != nil || (*ipfi.Wire)(nil).TLS() != nil {
		t.Error("TLS() of a wire without TLS, or of a nil wire, is not nil")
	}
}

// TestTLSUntrustedServer: a client that does not trust the server's
// certificate fails at once, with an error that matches ErrTLSHandshake,
// names the address and the certificate problem, and wraps the x509
// error.
func TestTLSUntrustedServer(t *testing.T) {
	s := newTLSSetup(t)
	ctx := testCtx(t)
	srv, cli := newInterface(t), newInterface(t)
	defer cli.Close()
	addr := serveOn(t, srv, ipfi.WithTLS(s.serverConfig(tls.NoClientCert)))

	other, err := ipfitest.NewCA()
	must(t, err)
	start := time.Now()
	w, err := cli.Dial(ctx, "tcp", addr, ipfi.WithTLS(&tls.Config{RootCAs: other.Pool}))
	if err == nil {
		w.Close()
		t.Fatal("Dial trusted a server signed by another authority")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Dial took %v to fail", d)
	}
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	if !errors.Is(err, ipfi.ErrTLSHandshake) || !errors.As(err, &verr) || !errors.As(err, &unknown) {
		t.Errorf("Dial = %v, want ErrTLSHandshake wrapping a CertificateVerificationError and an UnknownAuthorityError", err)
	}
	want := "ipfi: TLS handshake with " + addr + ": failed to verify certificate: x509: certificate signed by unknown authority"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Dial = %q, want it to start with %q", err, want)
	}
}

// TestTLSHandshakeTimeout: a server that accepts and never answers ends
// Dial's handshake after Timeouts.Handshake, with an error matching
// ErrTLSHandshake and ErrHandshakeTimeout.
func TestTLSHandshakeTimeout(t *testing.T) {
	s := newTLSSetup(t)
	ctx := testCtx(t)
	cli := newInterface(t, ipfi.WithTimeouts(ipfi.Timeouts{Handshake: 200 * time.Millisecond}))
	defer cli.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c // held open, never answered
		}
		close(accepted)
	}()
	defer func() {
		l.Close()
		if c := <-accepted; c != nil {
			c.Close()
		}
	}()

	start := time.Now()
	w, err := cli.Dial(ctx, "tcp", l.Addr().String(), ipfi.WithTLS(s.clientConfig(false)))
	if err == nil {
		w.Close()
		t.Fatal("Dial succeeded against a server that never answers")
	}
	if !errors.Is(err, ipfi.ErrTLSHandshake) || !errors.Is(err, ipfi.ErrHandshakeTimeout) {
		t.Errorf("Dial = %v, want ErrTLSHandshake and ErrHandshakeTimeout", err)
	}
	checkErrorText(t, err, "ipfi: TLS handshake with "+l.Addr().String()+": not finished within Timeouts.Handshake (200ms)")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Dial took %v, want about 200ms", d)
	}
}

// TestTLSServeStalledHandshake: a connection to a TLS Serve that sends
// nothing does not hold up Accept (a TLS client is served meanwhile), and
// is closed after Timeouts.Handshake, logged with ErrHandshakeTimeout.
func TestTLSServeStalledHandshake(t *testing.T) {
	s := newTLSSetup(t)
	ctx := testCtx(t)
	log := make(logRecords, 16)
	srv := newInterface(t, ipfi.WithLogger(slog.New(log)), ipfi.WithTimeouts(ipfi.Timeouts{Handshake: 300 * time.Millisecond}))
	cli := newInterface(t)
	defer cli.Close()
	must(t, srv.Register(1, procedures.Func0(peerName)))
	addr := serveOn(t, srv, ipfi.WithTLS(s.serverConfig(tls.NoClientCert)))

	stalled, err := net.Dial("tcp", addr)
	must(t, err)
	defer stalled.Close()
	w, err := cli.Dial(ctx, "tcp", addr, ipfi.WithTLS(s.clientConfig(false)))
	must(t, err)
	defer w.Close()
	if _, err := ipfi.Call[string](ctx, w, 1); err != nil {
		t.Fatalf("call beside a stalled handshake: %v", err)
	}

	_, err = waitRefused(t, log)
	if !errors.Is(err, ipfi.ErrTLSHandshake) || !errors.Is(err, ipfi.ErrHandshakeTimeout) {
		t.Errorf("logged %v, want ErrTLSHandshake and ErrHandshakeTimeout", err)
	}
	must(t, stalled.SetReadDeadline(time.Now().Add(10*time.Second)))
	if n, err := stalled.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("stalled connection read %d, %v; want it closed (EOF)", n, err)
	}
}

// TestTLSClientPlainServer: a TLS client dialing a server without TLS
// fails at once, saying that the server does not speak TLS.
func TestTLSClientPlainServer(t *testing.T) {
	s := newTLSSetup(t)
	ctx := testCtx(t)
	srv, cli := newInterface(t), newInterface(t)
	defer cli.Close()
	addr := serveOn(t, srv)

	w, err := cli.Dial(ctx, "tcp", addr, ipfi.WithTLS(s.clientConfig(false)))
	if err == nil {
		w.Close()
		t.Fatal("TLS Dial to a plain server succeeded")
	}
	if runtime.GOOS == "wasip1" || runtime.GOOS == "js" {
		// One thread: whether the plain server's announcement reaches the
		// client before the client's hello ends the server's wire depends
		// on the order its goroutines run in; the client names either.
		closed := "ipfi: TLS handshake with " + addr + ": the server closed the connection during the handshake: it may not speak TLS"
		plain := "ipfi: TLS handshake with " + addr + ": the server does not speak TLS"
		if !errors.Is(err, ipfi.ErrTLSHandshake) || (!strings.HasPrefix(err.Error(), closed) && !strings.HasPrefix(err.Error(), plain)) {
			t.Errorf("Dial = %q, want ErrTLSHandshake starting with %q or %q", err, closed, plain)
		}
		return
	}
	var rec tls.RecordHeaderError
	if !errors.Is(err, ipfi.ErrTLSHandshake) || !errors.As(err, &rec) {
		t.Errorf("Dial = %v, want ErrTLSHandshake wrapping a tls.RecordHeaderError", err)
	}
	want := "ipfi: TLS handshake with " + addr + ": the server does not speak TLS"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Dial = %q, want it to start with %q", err, want)
	}
}

// TestTLSClientServerCloses: a TLS client dialing a server that reads
// the handshake and closes the connection without a word (as a plain
// server that does not announce may) fails at once, saying that the
// server closed the connection during the handshake.
func TestTLSClientServerCloses(t *testing.T) {
	s := newTLSSetup(t)
	ctx := testCtx(t)
	cli := newInterface(t)
	defer cli.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = c.Read(make([]byte, 1)) // the client's hello has begun
		c.Close()
	}()
	defer func() { l.Close(); <-done }()

	w, err := cli.Dial(ctx, "tcp", l.Addr().String(), ipfi.WithTLS(s.clientConfig(false)))
	if err == nil {
		w.Close()
		t.Fatal("Dial succeeded against a server that closed the connection")
	}
	want := "ipfi: TLS handshake with " + l.Addr().String() + ": the server closed the connection during the handshake: it may not speak TLS"
	if !errors.Is(err, ipfi.ErrTLSHandshake) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Dial = %q, want ErrTLSHandshake starting with %q", err, want)
	}
}

// TestTLSPlainClientTLSServer: a client without TLS dialing a TLS server:
// the server logs that the peer does not speak TLS (a
// tls.RecordHeaderError) and closes the connection, and the client's wire
// ends with the peer's end of stream.
func TestTLSPlainClientTLSServer(t *testing.T) {
	s := newTLSSetup(t)
	ctx := testCtx(t)
	log := make(logRecords, 16)
	srv := newInterface(t, ipfi.WithLogger(slog.New(log)))
	cli := newInterface(t)
	defer cli.Close()
	must(t, srv.Register(1, procedures.Func0(peerName)))
	addr := serveOn(t, srv, ipfi.WithTLS(s.serverConfig(tls.NoClientCert)))

	w, err := cli.Dial(ctx, "tcp", addr)
	must(t, err)
	defer w.Close()
	_, callErr := ipfi.Call[string](ctx, w, 1)

	r, err := waitRefused(t, log)
	var rec tls.RecordHeaderError
	if !errors.Is(err, ipfi.ErrTLSHandshake) || !errors.As(err, &rec) {
		t.Errorf("logged %v, want ErrTLSHandshake wrapping a tls.RecordHeaderError", err)
	}
	if want := "ipfi: TLS handshake with 127.0.0.1:"; err == nil || !strings.HasPrefix(err.Error(), want) ||
		!strings.Contains(err.Error(), "the peer does not speak TLS") {
		t.Errorf("logged %q, want it to say that the peer does not speak TLS", err)
	}
	if r.Level != slog.LevelWarn {
		t.Errorf("logged at %v, want WARN", r.Level)
	}
	if !errors.Is(callErr, ipfi.ErrWireTerminated) {
		t.Fatalf("plain call to a TLS server = %v, want ErrWireTerminated", callErr)
	}
	select {
	case <-w.Done():
	case <-ctx.Done():
		t.Fatal("the plain client's wire did not end")
	}
	t.Logf("the plain client's call: %v; its wire's cause: %v", callErr, w.Err())
}

// TestTLSMutualInterceptor: with mutual TLS a server interceptor reads the
// client certificate's CommonName through CallInfo.Wire.TLS(), and
// refuses a call from a client without one.
func TestTLSMutualInterceptor(t *testing.T) {
	s := newTLSSetup(t)
	ctx := testCtx(t)
	refuse := &ipfi.Error{Code: 401, Message: "no client certificate"}
	seen := make(chan string, 2)
	srv := newInterface(t, ipfi.WithInterceptors(ipfi.Interceptor{
		Server: func(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
			st := info.Wire.TLS()
			if st == nil || len(st.VerifiedChains) == 0 {
				return refuse
			}
			seen <- st.VerifiedChains[0][0].Subject.CommonName
			return next(ctx)
		},
	}))
	cli := newInterface(t)
	defer cli.Close()
	must(t, srv.Register(1, procedures.Func0(peerName)))
	addr := serveOn(t, srv, ipfi.WithTLS(s.serverConfig(tls.VerifyClientCertIfGiven)))

	w, err := cli.Dial(ctx, "tcp", addr, ipfi.WithTLS(s.clientConfig(true)))
	must(t, err)
	defer w.Close()
	if name, err := ipfi.Call[string](ctx, w, 1); err != nil || name != "alice" {
		t.Errorf("call with a certificate = %q, %v; want alice", name, err)
	}
	select {
	case name := <-seen:
		if name != "alice" {
			t.Errorf("interceptor saw %q, want alice", name)
		}
	default:
		t.Error("the interceptor did not see the call")
	}

	anon, err := cli.Dial(ctx, "tcp", addr, ipfi.WithTLS(s.clientConfig(false)))
	must(t, err)
	defer anon.Close()
	if _, err := ipfi.Call[string](ctx, anon, 1); !errors.Is(err, refuse) {
		t.Errorf("call without a certificate = %v, want the interceptor's refusal", err)
	}
}

// TestTLSConnectOverTLSConn: Connect over a *tls.Conn (the program's own
// TLS) gives its wires TLS state too, on both sides.
func TestTLSConnectOverTLSConn(t *testing.T) {
	s := newTLSSetup(t)
	ctx := testCtx(t)
	srv, cli := newInterface(t), newInterface(t)
	defer srv.Close()
	defer cli.Close()
	must(t, srv.Register(1, procedures.Func0(peerName)))
	a, b := net.Pipe()
	stc := tls.Server(a, s.serverConfig(tls.RequireAndVerifyClientCert))
	ctc := tls.Client(b, &tls.Config{RootCAs: s.ca.Pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{s.client}})
	sw, err := srv.Connect(stc, stc)
	must(t, err)
	defer sw.Close()
	w, err := cli.Connect(ctc, ctc)
	must(t, err)
	defer w.Close()
	if name, err := ipfi.Call[string](ctx, w, 1); err != nil || name != "alice" {
		t.Fatalf("call = %q, %v; want alice (the procedure's WireFrom(ctx).TLS())", name, err)
	}
	if st := w.TLS(); st == nil || clientName(st) != "127.0.0.1" {
		t.Errorf("client's TLS() = %+v, want the server's certificate", st)
	}
	if st := sw.TLS(); st == nil || clientName(st) != "alice" || len(st.VerifiedChains) == 0 {
		t.Errorf("server's TLS() = %+v, want alice's verified certificate", st)
	}
}

// TestTLSOptionMisplaced: WithTLS is an option of Dial and Serve only,
// and needs a config: elsewhere, or nil, it is ErrInvalidOption.
func TestTLSOptionMisplaced(t *testing.T) {
	s := newTLSSetup(t)
	ctx := testCtx(t)
	if _, err := ipfi.New(ipfi.WithTLS(s.clientConfig(false))); !errors.Is(err, ipfi.ErrInvalidOption) {
		t.Errorf("New(WithTLS) = %v, want ErrInvalidOption", err)
	}
	i := newInterface(t)
	defer i.Close()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if w, err := i.Connect(a, a, ipfi.WithTLS(s.clientConfig(false))); !errors.Is(err, ipfi.ErrInvalidOption) || !strings.Contains(err.Error(), "WithTLS") {
		w.Close()
		t.Errorf("Connect(WithTLS) = %v, want ErrInvalidOption naming WithTLS", err)
	}
	if w, err := i.Dial(ctx, "tcp", "127.0.0.1:1", ipfi.WithTLS(nil)); !errors.Is(err, ipfi.ErrInvalidOption) {
		w.Close()
		t.Errorf("Dial(WithTLS(nil)) = %v, want ErrInvalidOption", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	if err := i.Serve(ctx, l, ipfi.WithTLS(nil)); !errors.Is(err, ipfi.ErrInvalidOption) {
		t.Errorf("Serve(WithTLS(nil)) = %v, want ErrInvalidOption", err)
	}
}
