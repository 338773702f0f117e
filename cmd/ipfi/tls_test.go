package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi/internal/selfsign"
)

// fingerprintRE matches a SHA-256 fingerprint as fingerprint writes it.
var fingerprintRE = regexp.MustCompile(`sha256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})`)

// writeCert makes a self-signed certificate for host and usage, valid for
// an hour, and writes it and its key as PEM files in a temporary
// directory; it returns their paths.
func writeCert(t *testing.T, host string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	cert, err := selfsign.New(host, time.Hour, usage)
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// insecureWarning is what a command given -insecure prints on stderr.
const insecureWarning = "warning: -insecure: the server's certificate is not verified\n"

// hello is what "ipfi call ADDR 1 '"John"' '"Doe"'" prints.
const hello = "\"Hello, John Doe!\"\n"

// selfSignedServed serves serveAddr (tls:// or wss://) without a
// certificate and checks what TestTLSSelfSigned and TestWebSocketSecure
// share: the printed address matches addrRE, serve names its self-signed
// certificate and fingerprint, call -insecure reaches it with one
// warning, and a call that verifies fails within 5s naming the
// certificate's problem and its fingerprint. It returns the address.
func selfSignedServed(t *testing.T, serveAddr, addrRE string) string {
	t.Helper()
	addr, served := serveArgs(t, serveAddr)
	if !regexp.MustCompile(addrRE).MatchString(addr) {
		t.Fatalf("serve printed address %q, want one matching %s", addr, addrRE)
	}
	m := fingerprintRE.FindStringSubmatch(served)
	if m == nil || !strings.Contains(served, "self-signed certificate for 127.0.0.1") || !strings.Contains(served, addr) {
		t.Fatalf("serve printed %q on stderr, want the address, the self-signed certificate and its fingerprint", served)
	}

	args := []string{"call", "-insecure", addr, "1", `"John"`, `"Doe"`}
	stdout, stderr, code := cli(t, args...)
	if code != 0 || stdout != hello || stderr != insecureWarning {
		t.Errorf("ipfi %q: exit %d, stdout %q, stderr %q; want 0, %q and the warning", args, code, stdout, stderr, hello)
	}

	args = []string{"call", addr, "1", `"John"`, `"Doe"`}
	start := time.Now()
	stdout, stderr, code = cli(t, args...)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("ipfi %q took %v, want it to fail within 5s", args, took)
	}
	wantFail(t, args, stdout, stderr, code, "cannot connect to "+addr, "certificate signed by unknown authority", m[1])
	return addr
}

// TestTLSSelfSigned: serve tls:// without a certificate makes a
// self-signed one and prints its fingerprint; call, ping, tree and bench
// with -insecure reach it (and warn once); a call that verifies fails
// promptly, naming the certificate's problem and its fingerprint.
func TestTLSSelfSigned(t *testing.T) {
	addr := selfSignedServed(t, "tls://127.0.0.1:0", `^tls://127\.0\.0\.1:[1-9][0-9]*$`)

	for _, args := range [][]string{
		{"ping", "-insecure", addr},
		{"tree", "-insecure", addr},
		{"bench", "-insecure", "-d", "200ms", "-c", "2", "-conns", "2", addr, "0"},
	} {
		stdout, stderr, code := cli(t, args...)
		if code != 0 || stderr != insecureWarning {
			t.Errorf("ipfi %q: exit %d, stderr %q; want 0 and the warning", args, code, stderr)
		}
		if want := map[string]string{"ping": "pong in ", "tree": "interface: ", "bench": "latency:"}[args[0]]; !strings.Contains(stdout, want) {
			t.Errorf("ipfi %q printed %q, want %q in it", args, stdout, want)
		}
	}
}

// TestTLSCACert: serve with -cert and -key uses them (and prints no
// self-signed certificate); a call with -cacert naming that certificate
// verifies it and succeeds, with nothing on stderr.
func TestTLSCACert(t *testing.T) {
	certFile, keyFile := writeCert(t, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	addr, served := serveArgs(t, "-cert", certFile, "-key", keyFile, "tls://127.0.0.1:0")
	if served != "" {
		t.Errorf("serve with -cert printed %q on stderr, want nothing", served)
	}
	args := []string{"call", "-cacert", certFile, addr, "1", `"John"`, `"Doe"`}
	stdout, stderr, code := cli(t, args...)
	wantOK(t, args, stdout, stderr, code)
	if stdout != hello {
		t.Errorf("ipfi %q printed %q, want %q", args, stdout, hello)
	}
	// Another certificate as -cacert: the server's is not signed by it.
	otherCert, _ := writeCert(t, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	args = []string{"call", "-cacert", otherCert, addr, "0"}
	stdout, stderr, code = cli(t, args...)
	wantFail(t, args, stdout, stderr, code, "certificate signed by unknown authority", "sha256 fingerprint")
}

// TestTLSClientCert: serve with -clientca accepts a call that presents a
// certificate in it (-cert, -key) and refuses one that presents none.
func TestTLSClientCert(t *testing.T) {
	serverCert, serverKey := writeCert(t, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	clientCert, clientKey := writeCert(t, "ipfi client", x509.ExtKeyUsageClientAuth)
	addr, _ := serveArgs(t, "-cert", serverCert, "-key", serverKey, "-clientca", clientCert, "tls://127.0.0.1:0")

	args := []string{"call", "-cacert", serverCert, "-cert", clientCert, "-key", clientKey, addr, "1", `"John"`, `"Doe"`}
	stdout, stderr, code := cli(t, args...)
	wantOK(t, args, stdout, stderr, code)
	if stdout != hello {
		t.Errorf("ipfi %q printed %q, want %q", args, stdout, hello)
	}

	args = []string{"call", "-cacert", serverCert, addr, "1", `"John"`, `"Doe"`}
	start := time.Now()
	stdout, stderr, code = cli(t, args...)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("ipfi %q took %v, want it to fail within 5s", args, took)
	}
	wantFail(t, args, stdout, stderr, code, "certificate required")
}

// TestTLSUsage: a flag that only applies to tls:// given with another
// scheme, or -cert without -key, is a usage error (exit 2) that says so; a
// certificate file that cannot be read is a failure (exit 1).
func TestTLSUsage(t *testing.T) {
	certFile, _ := writeCert(t, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"call", "-cacert", certFile, "tcp://127.0.0.1:1", "0"}, "-cacert only applies to tls:// and wss:// addresses, not tcp://127.0.0.1:1"},
		{[]string{"call", "-cacert", certFile, "ws://127.0.0.1:1/ipfi", "0"}, "-cacert only applies to tls:// and wss:// addresses, not ws://127.0.0.1:1/ipfi"},
		{[]string{"serve", "-cert", certFile, "-key", certFile, "ws://127.0.0.1:0/ipfi"}, "-cert, -key only apply to tls:// and wss://"},
		{[]string{"ping", "-insecure", "unix:///tmp/x.sock"}, "-insecure only applies to tls://"},
		{[]string{"tree", "-cert", certFile, "-key", certFile, "tcp://127.0.0.1:1"}, "-cert, -key only apply to tls://"},
		{[]string{"bench", "-insecure", "exec:true", "0"}, "-insecure only applies to tls://"},
		{[]string{"serve", "-cert", certFile, "tcp://127.0.0.1:0"}, "-cert only applies to tls://"},
		{[]string{"serve", "-clientca", certFile, "stdio:"}, "-clientca only applies to tls://"},
		{[]string{"serve", "-cert", certFile, "tls://127.0.0.1:0"}, "-cert and -key go together"},
		{[]string{"call", "-key", certFile, "tls://127.0.0.1:1", "0"}, "-cert and -key go together"},
		{[]string{"call", "-insecure", "-cacert", certFile, "tls://127.0.0.1:1", "0"}, "-insecure and -cacert contradict"},
	} {
		stdout, stderr, code := cli(t, tc.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("ipfi %q: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"call", "-cacert", missing, "tls://127.0.0.1:1", "0"}, []string{"cannot read certificates", "missing.pem"}},
		{[]string{"call", "-cacert", os.Args[0], "tls://127.0.0.1:1", "0"}, []string{"no PEM certificate in"}},
		{[]string{"serve", "-cert", certFile, "-key", missing, "tls://127.0.0.1:0"}, []string{"cannot load -cert", "missing.pem"}},
	} {
		stdout, stderr, code := cli(t, tc.args...)
		wantFail(t, tc.args, stdout, stderr, code, tc.want...)
	}
}

// TestSelfSigned: the certificate serve makes names the host it serves:
// an IP address as an IP SAN, a name as a DNS SAN, every address as
// localhost and the loopback addresses; it verifies for that name and
// lasts as long as asked.
func TestSelfSigned(t *testing.T) {
	for _, tc := range []struct {
		host, verify string
		want         []string
	}{
		{"127.0.0.1", "127.0.0.1", []string{"127.0.0.1"}},
		{"::1", "::1", []string{"::1"}},
		{"ipfi.example", "ipfi.example", []string{"ipfi.example"}},
		{"", "localhost", []string{"localhost", "127.0.0.1", "::1"}},
		{"0.0.0.0", "127.0.0.1", []string{"localhost", "127.0.0.1", "::1"}},
	} {
		cert, err := selfsign.New(tc.host, selfSignedValidity, x509.ExtKeyUsageServerAuth)
		if err != nil {
			t.Fatal(err)
		}
		leaf := cert.Leaf
		if got := certNames(leaf); !slices.Equal(got, tc.want) {
			t.Errorf("selfsign.New(%q) is for %q, want %q", tc.host, got, tc.want)
		}
		if d := leaf.NotAfter.Sub(leaf.NotBefore); d < selfSignedValidity || d > selfSignedValidity+2*time.Minute {
			t.Errorf("selfsign.New(%q) is valid for %v, want about %v", tc.host, d, selfSignedValidity)
		}
		roots := x509.NewCertPool()
		roots.AddCert(leaf)
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: tc.verify, Roots: roots}); err != nil {
			t.Errorf("selfsign.New(%q) does not verify for %q: %v", tc.host, tc.verify, err)
		}
		if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
			t.Errorf("selfsign.New(%q): public key %T, want ECDSA P-256", tc.host, leaf.PublicKey)
		}
	}
	if got := fingerprint([]byte("x")); !fingerprintRE.MatchString("sha256 fingerprint "+got) || !strings.HasPrefix(got, "2D:71:16:42") {
		t.Errorf("fingerprint(x) = %q", got)
	}
}
