package ipfi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

// A server that speaks TLS and authorises each call by the name in the
// client's certificate (mutual TLS): its interceptor reads it through
// CallInfo.Wire.TLS(), its procedure through WireFrom(ctx).TLS().
func Example_mutualTLS() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ca, err := newCA()
	if err != nil {
		panic(err)
	}

	server, err := ipfi.New(ipfi.WithInterceptors(ipfi.Interceptor{
		Server: func(ctx context.Context, info ipfi.CallInfo, next func(context.Context) error) error {
			if name := clientName(info.Wire.TLS()); name != "alice" {
				return &ipfi.Error{Code: 403, Message: "not allowed: " + name}
			}
			return next(ctx)
		},
	}))
	if err != nil {
		panic(err)
	}
	server.Register(1, procedures.Func0(func(ctx context.Context) (string, error) {
		return "Hello, " + clientName(ipfi.WireFrom(ctx).TLS()) + "!", nil
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	serverCert, err := ca.issue("127.0.0.1")
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() {
		served <- server.Serve(ctx, l, ipfi.WithTLS(&tls.Config{
			Certificates: []tls.Certificate{serverCert},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    ca.pool,
		}))
	}()
	defer func() { server.Close(); <-served }()

	client, err := ipfi.New()
	if err != nil {
		panic(err)
	}
	defer client.Close()
	for _, name := range []string{"alice", "mallory"} {
		cert, err := ca.issue(name)
		if err != nil {
			panic(err)
		}
		w, err := client.Dial(ctx, "tcp", l.Addr().String(), ipfi.WithTLS(&tls.Config{
			Certificates: []tls.Certificate{cert},
			RootCAs:      ca.pool,
		}))
		if err != nil {
			panic(err)
		}
		greeting, err := ipfi.Call[string](ctx, w, 1)
		var refused *ipfi.Error
		switch {
		case errors.As(err, &refused):
			fmt.Println(name, "refused:", refused.Code, refused.Message)
		case err != nil:
			fmt.Println(name, "failed:", err)
		default:
			fmt.Println(greeting)
		}
		w.Close()
	}
	// Output:
	// Hello, alice!
	// mallory refused: 403 not allowed: mallory
}

// clientName is the CommonName of the peer's certificate, "" if none.
func clientName(s *tls.ConnectionState) string {
	if s == nil || len(s.PeerCertificates) == 0 {
		return ""
	}
	return s.PeerCertificates[0].Subject.CommonName
}

// testCA is a certificate authority made at run time: pool trusts it,
// issue makes certificates it signed.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

// newCA returns a new certificate authority, valid for an hour.
func newCA() (*testCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ipfi test CA"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}, nil
}

// issue returns a certificate for name, signed by the authority, good for
// a server (an IP address, such as 127.0.0.1, is its IP SAN) and a client.
func (ca *testCA) issue(name string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
