package ipfi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi/internal/selfsign"
	"github.com/ipfi-go/ipfi/procedures"
)

// tlsSocketPair returns the two ends of a TLS connection over loopback TCP
// after their handshakes: the server's as a wire's transport
// (tlsWireConn) and the client's tls.Conn. The server's socket has a
// small send buffer, so that its writes often find it full. (Shrinking
// the client's receive buffer once connected stalls TCP for seconds.)
func tlsSocketPair(t *testing.T) (*tlsTransport, *tls.Conn) {
	t.Helper()
	scfg, ccfg := selfSigned(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := l.Accept()
	if err != nil {
		cc.Close()
		t.Fatal(err)
	}
	_ = sc.(*net.TCPConn).SetWriteBuffer(16 << 10)
	rec := &recordConn{Conn: sc}
	server := tls.Server(rec, scfg)
	client := tls.Client(cc, ccfg)
	t.Cleanup(func() { sc.Close(); cc.Close() })
	_ = sc.SetDeadline(time.Now().Add(10 * time.Second))
	_ = cc.SetDeadline(time.Now().Add(10 * time.Second))
	shook := make(chan error, 1)
	go func() { shook <- client.Handshake() }()
	if err := server.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-shook; err != nil {
		t.Fatal(err)
	}
	tt, ok := tlsWireConn(server, rec).(*tlsTransport)
	if !ok {
		t.Skip("this platform's sockets have no non-blocking write")
	}
	return tt, client
}

// selfSigned returns a server config with a certificate for 127.0.0.1
// made for the test, and a client config that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	cert, err := selfsign.New("127.0.0.1", time.Hour, x509.ExtKeyUsageServerAuth)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	return &tls.Config{Certificates: []tls.Certificate{cert}}, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// TestTLSWritesHoldWhatTheSocketDoesNotTake: TryWrite never blocks on a
// peer that does not read; what the socket does not take is held, in
// order, and sent by the next Write (even of nothing), and the peer
// reads every byte, decrypted, in order.
func TestTLSWritesHoldWhatTheSocketDoesNotTake(t *testing.T) {
	server, client := tlsSocketPair(t)
	var sent bytes.Buffer
	chunk := make([]byte, 32<<10)
	full := false
	for i := 0; i < 1000 && !full; i++ {
		for k := range chunk {
			chunk[k] = byte(i + k/7)
		}
		n, err := server.TryWrite(chunk)
		if err != nil {
			t.Fatal(err)
		}
		sent.Write(chunk[:n])
		full = n < len(chunk)
	}
	if !full {
		t.Fatal("the socket took 32 MiB from a peer that does not read")
	}
	if !server.Holds() {
		t.Fatal("TryWrite took less than it was given, and nothing is held")
	}
	if n, err := server.TryWrite(chunk); n != 0 || err != nil {
		t.Fatalf("TryWrite with records held took %d bytes (%v), want none", n, err)
	}
	if held := len(server.rec.out.held); held > tryTLSMax+1<<10 {
		t.Errorf("%d bytes held, over a try's bound", held)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(client)
		got <- b
	}()
	if _, err := server.Write(nil); err != nil {
		t.Fatal(err)
	}
	if server.Holds() {
		t.Fatal("Write returned with records held")
	}
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, sent.Bytes()) {
		t.Fatalf("the peer read %d bytes, not the %d taken, in order", len(b), sent.Len())
	}
}

// stuckSocket is a connection whose non-blocking write takes nothing and
// whose blocking Write records what it is given.
type stuckSocket struct {
	net.Conn
	written bytes.Buffer
}

func (s *stuckSocket) Write(p []byte) (int, error) { return s.written.Write(p) }

// TestTLSHeldBound: past maxHeld, a write that may not block fails with
// ErrLimit (a tls.Conn answering a peer that does not read), and one that
// may block (the writer's Write) sends what is held first.
func TestTLSHeldBound(t *testing.T) {
	sock := &stuckSocket{}
	rec := &recordConn{Conn: sock}
	rec.out.try = func([]byte) (int, error) { return 0, nil }
	record := make([]byte, 16<<10)
	for i := 0; i < maxHeld/len(record); i++ {
		if _, err := rec.Write(record); err != nil {
			t.Fatalf("write %d, within the bound: %v", i, err)
		}
	}
	rec.out.mayBlock = true
	if _, err := rec.Write(record); err != nil {
		t.Fatalf("a write that may block, past the bound: %v", err)
	}
	if sock.written.Len() != maxHeld || len(rec.out.held) != len(record) {
		t.Fatalf("sent %d and held %d bytes, want %d and %d", sock.written.Len(), len(rec.out.held), maxHeld, len(record))
	}
	rec.out.mayBlock = false
	for i := 0; i < maxHeld/len(record)-1; i++ {
		if _, err := rec.Write(record); err != nil {
			t.Fatalf("write %d, within the bound: %v", i, err)
		}
	}
	if _, err := rec.Write(record); !errors.Is(err, ErrLimit) {
		t.Fatalf("a write that may not block, past the bound: %v, want ErrLimit", err)
	}
	if _, err := rec.Write(record); !errors.Is(err, ErrLimit) {
		t.Fatalf("the next write: %v, want the same sticky error", err)
	}
}

// TestTLSWireSendsHeldRecords: a wire over TLS whose socket takes only
// part of an answer that a try took whole still sends the rest (the
// writer's flusher pushes what the transport holds), and the caller gets
// the whole answer; a thousand such answers in a row, in order, from a
// procedure's goroutine and from the wire's reader (Quick).
func TestTLSWireSendsHeldRecords(t *testing.T) {
	server, client := tlsSocketPair(t)
	_ = server.rec.Conn.SetDeadline(time.Time{})
	_ = client.NetConn().SetDeadline(time.Time{})
	answer := bytes.Repeat([]byte("held records "), (tryTLSMax-1024)/13)
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	answerOf := procedures.Func1(func(_ context.Context, i int) ([]byte, error) {
		return append([]byte{byte(i)}, answer...), nil
	})
	// Procedure 1 answers from a goroutine of its own, which may block in
	// Write; 2 from the wire's reader, which only tries.
	if err := srv.Register(1, answerOf); err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(2, procedures.Quick(answerOf)); err != nil {
		t.Fatal(err)
	}
	cli, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := srv.Connect(server, server); err != nil {
		t.Fatal(err)
	}
	w, err := cli.Connect(client, client)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 1000; i++ {
		got, err := Call[[]byte](ctx, w, procedures.Index(1+i%2), i)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if len(got) != len(answer)+1 || got[0] != byte(i) || !bytes.Equal(got[1:], answer) {
			t.Fatalf("call %d: an answer of %d bytes, not the one sent", i, len(got))
		}
	}
}
