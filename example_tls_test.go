package ipfi_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/procedures"
)

// A server that speaks TLS and authorises each call by the name in the
// client's certificate (mutual TLS): its interceptor reads it through
// CallInfo.Wire.TLS(), its procedure through WireFrom(ctx).TLS().
func Example_mutualTLS() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ca, err := ipfitest.NewCA()
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
	serverCert, err := ca.Issue("127.0.0.1")
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() {
		served <- server.Serve(ctx, l, ipfi.WithTLS(&tls.Config{
			Certificates: []tls.Certificate{serverCert},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    ca.Pool,
		}))
	}()
	defer func() { server.Close(); <-served }()

	client, err := ipfi.New()
	if err != nil {
		panic(err)
	}
	defer client.Close()
	for _, name := range []string{"alice", "mallory"} {
		cert, err := ca.Issue(name)
		if err != nil {
			panic(err)
		}
		w, err := client.Dial(ctx, "tcp", l.Addr().String(), ipfi.WithTLS(&tls.Config{
			Certificates: []tls.Certificate{cert},
			RootCAs:      ca.Pool,
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
