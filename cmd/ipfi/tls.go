package main

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/ipfi-go/ipfi/internal/selfsign"
)

// selfSignedValidity is how long the certificate serve makes for itself
// stays valid.
const selfSignedValidity = 30 * 24 * time.Hour

// clientTLS holds the TLS flags of the commands that dial: call, ping,
// bench and tree.
type clientTLS struct {
	cacert, cert, key string
	insecure          bool
}

// addClientTLSFlags declares the dialling commands' TLS flags on fs.
func addClientTLSFlags(fs *flag.FlagSet) *clientTLS {
	c := &clientTLS{}
	fs.StringVar(&c.cacert, "cacert", "", "tls:// and wss:// only: verify the server against the certificates in this PEM `file` instead of the system's roots")
	fs.StringVar(&c.cert, "cert", "", "tls:// and wss:// only: present the certificate in this PEM `file` to the server (with -key)")
	fs.StringVar(&c.key, "key", "", "tls:// and wss:// only: the private key of -cert, a PEM `file`")
	fs.BoolVar(&c.insecure, "insecure", false, "tls:// and wss:// only: do not verify the server's certificate (unsafe: anyone in the way can read and change the calls)")
	return c
}

// apply checks the flags against addr and, for tls:// and wss://, sets addr's TLS
// configuration; with -insecure it warns on stderr. A flag given with
// another scheme is a usage error; a file that cannot be read is an error.
func (c *clientTLS) apply(addr *address, stderr io.Writer) error {
	if addr.scheme != "tls" && addr.scheme != "wss" {
		return onlyTLS(addr, map[string]bool{"-cacert": c.cacert != "", "-cert": c.cert != "", "-key": c.key != "", "-insecure": c.insecure})
	}
	if (c.cert == "") != (c.key == "") {
		return usageError{"-cert and -key go together"}
	}
	if c.insecure && c.cacert != "" {
		return usageError{"-insecure and -cacert contradict each other: -insecure verifies nothing"}
	}
	cfg := &tls.Config{InsecureSkipVerify: c.insecure}
	if c.cacert != "" {
		pool, err := loadPool(c.cacert)
		if err != nil {
			return err
		}
		cfg.RootCAs = pool
	}
	if c.cert != "" {
		cert, err := tls.LoadX509KeyPair(c.cert, c.key)
		if err != nil {
			return fmt.Errorf("cannot load -cert %s and -key %s: %v", c.cert, c.key, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if c.insecure {
		fmt.Fprintln(stderr, "warning: -insecure: the server's certificate is not verified")
	}
	addr.tls = cfg
	return nil
}

// serverTLS holds serve's TLS flags.
type serverTLS struct {
	cert, key, clientCA string
}

// addServerTLSFlags declares serve's TLS flags on fs.
func addServerTLSFlags(fs *flag.FlagSet) *serverTLS {
	s := &serverTLS{}
	fs.StringVar(&s.cert, "cert", "", "tls:// and wss:// only: the server's certificate, a PEM `file` (with -key; default: a self-signed one made at start, its fingerprint printed)")
	fs.StringVar(&s.key, "key", "", "tls:// and wss:// only: the private key of -cert, a PEM `file`")
	fs.StringVar(&s.clientCA, "clientca", "", "tls:// and wss:// only: require a client certificate signed by one in this PEM `file`")
	return s
}

// config checks the flags against addr and returns the TLS configuration
// to serve tls:// or wss:// with (nil for another scheme). Without -cert it makes a
// self-signed certificate for the host of addr (its Leaf set), which serve
// describes on stderr once listening.
func (s *serverTLS) config(addr address) (*tls.Config, error) {
	if addr.scheme != "tls" && addr.scheme != "wss" {
		return nil, onlyTLS(&addr, map[string]bool{"-cert": s.cert != "", "-key": s.key != "", "-clientca": s.clientCA != ""})
	}
	if (s.cert == "") != (s.key == "") {
		return nil, usageError{"-cert and -key go together"}
	}
	cfg := &tls.Config{}
	if s.clientCA != "" {
		pool, err := loadPool(s.clientCA)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	if s.cert != "" {
		cert, err := tls.LoadX509KeyPair(s.cert, s.key)
		if err != nil {
			return nil, fmt.Errorf("cannot load -cert %s and -key %s: %v", s.cert, s.key, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
		return cfg, nil
	}
	host, _, _ := net.SplitHostPort(addr.target)
	cert, err := selfsign.New(host, selfSignedValidity, x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, fmt.Errorf("cannot make a self-signed certificate: %w", err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	return cfg, nil
}

// onlyTLS is the usage error for the flags of set that are true, which
// only apply to tls:// and wss://, given with addr; nil if none is.
func onlyTLS(addr *address, set map[string]bool) error {
	var names []string
	for _, n := range []string{"-cacert", "-cert", "-key", "-clientca", "-insecure"} {
		if set[n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	verb := "applies"
	if len(names) > 1 {
		verb = "apply"
	}
	return usageError{fmt.Sprintf("%s only %s to tls:// and wss:// addresses, not %s", strings.Join(names, ", "), verb, addr)}
}

// loadPool reads the PEM certificates in file into a pool.
func loadPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read certificates: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("no PEM certificate in %s", file)
	}
	return pool, nil
}

// certNames lists the names a certificate is valid for.
func certNames(c *x509.Certificate) []string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// fingerprint is the SHA-256 of a DER certificate as upper-case hex pairs
// separated by colons: "AB:CD:...".
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(pairs, ":")
}

// withFingerprint adds to a failed verification of the server's
// certificate that certificate's fingerprint, to compare with what
// ipfi serve printed.
func withFingerprint(err error) error {
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) && len(ve.UnverifiedCertificates) > 0 {
		return fmt.Errorf("%w (the server's certificate has sha256 fingerprint %s)", err, fingerprint(ve.UnverifiedCertificates[0].Raw))
	}
	return err
}
