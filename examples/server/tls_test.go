package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/internal/selfsign"
)

// writeCert makes a self-signed certificate for 127.0.0.1, valid for an
// hour, writes it and its key as PEM files in a temporary directory and
// returns their paths and the certificate.
func writeCert(t *testing.T) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	c, err := selfsign.New("127.0.0.1", time.Hour, x509.ExtKeyUsageServerAuth)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, c.Leaf
}

// TestTLS: -addr tls:127.0.0.1:0 with -cert and -key serves with TLS: a
// client that trusts the certificate calls every procedure; one that does
// not fails its handshake.
func TestTLS(t *testing.T) {
	certFile, keyFile, cert := writeCert(t)
	addr, stop, _ := startServer(t, "-addr", "tls:127.0.0.1:0", "-cert", certFile, "-key", keyFile)
	hostport, ok := strings.CutPrefix(addr, "tls:")
	if !ok {
		t.Fatalf("listening on %q, want tls:127.0.0.1:PORT", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := ipfi.New()
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	if _, err := client.Dial(ctx, "tcp", hostport, ipfi.WithTLS(&tls.Config{})); !errors.Is(err, ipfi.ErrTLSHandshake) {
		t.Errorf("Dial trusting the system's roots: %v, want ErrTLSHandshake", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	w, err := client.Dial(ctx, "tcp", hostport, ipfi.WithTLS(&tls.Config{RootCAs: roots}))
	if err != nil {
		t.Fatal(err)
	}
	callProcedures(ctx, t, w)
	if log, err := stop(); err != nil {
		t.Fatalf("run returned %v, want nil; log:\n%s", err, log)
	}
}

// TestTLSFlags: tls: without -cert and -key, -cert or -key without tls:,
// and a certificate that cannot be loaded are run's errors, before
// anything listens.
func TestTLSFlags(t *testing.T) {
	certFile, keyFile, _ := writeCert(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "tls:127.0.0.1:0"}, "needs -cert and -key"},
		{[]string{"-addr", "tls:127.0.0.1:0", "-cert", certFile}, "needs -cert and -key"},
		{[]string{"-addr", "127.0.0.1:0", "-cert", certFile, "-key", keyFile}, "only apply to -addr tls:"},
		{[]string{"-addr", "tls:127.0.0.1:0", "-cert", certFile, "-key", certFile}, "cannot load -cert and -key"},
	} {
		if err := run(context.Background(), tc.args, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run %q: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}
