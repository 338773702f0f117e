package ipfiquic_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiquic"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/ipfitest/transporttest"
	"github.com/quic-go/quic-go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// bounded is a context that ends the test's waits after 10 s.
func bounded(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newInterface(t testing.TB, opts ...ipfi.Option) *ipfi.Interface {
	t.Helper()
	i, err := ipfi.New(opts...)
	must(t, err)
	t.Cleanup(func() { i.Close() })
	return i
}

// serve serves i over QUIC on loopback until the test ends (Serve's error
// checked then) and returns its address and a client's TLS config that
// trusts it.
func serve(t testing.TB, i *ipfi.Interface, opts ...ipfi.Option) (string, *tls.Config) {
	t.Helper()
	ca, err := ipfitest.NewCA()
	must(t, err)
	server, client, err := ca.Loopback()
	must(t, err)
	l, err := ipfiquic.Listen(i, "127.0.0.1:0", server, nil)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ipfiquic.Serve(ctx, i, l, opts...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; !errors.Is(err, context.Canceled) && !errors.Is(err, ipfi.ErrClosed) {
			t.Errorf("Serve returned %v, want context.Canceled or ErrClosed", err)
		}
	})
	return l.Addr().String(), client
}

// dial dials addr for i, the connection closed as the test ends.
func dial(t testing.TB, i *ipfi.Interface, addr string, client *tls.Config) *ipfiquic.Conn {
	t.Helper()
	c, err := ipfiquic.Dial(bounded(t), i, addr, client, nil)
	must(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestMainScenariosOverQUIC: the main scenarios over a wire on a QUIC
// stream; cut closes the QUIC connection under it.
func TestMainScenariosOverQUIC(t *testing.T) {
	transporttest.RunScenarios(t, func(t *testing.T, caller, callee *ipfi.Interface) (*ipfi.Wire, func()) {
		addr, client := serve(t, callee)
		c := dial(t, caller, addr, client)
		w, err := c.Open(bounded(t))
		must(t, err)
		return w, func() { c.Close() }
	})
}

// TestAdversarialEssentialsOverQUIC: the adversarial essentials against
// Serve; each raw connection is a stream on a QUIC connection of its own.
func TestAdversarialEssentialsOverQUIC(t *testing.T) {
	transporttest.RunAdversarial(t, func(t *testing.T, i *ipfi.Interface) func(context.Context) (io.ReadWriteCloser, error) {
		addr, client := serve(t, i)
		client.NextProtos = []string{ipfiquic.NextProto}
		return func(ctx context.Context) (io.ReadWriteCloser, error) {
			qc, err := quic.DialAddr(ctx, addr, client, nil)
			if err != nil {
				return nil, err
			}
			s, err := qc.OpenStreamSync(ctx)
			if err != nil {
				qc.CloseWithError(0, "")
				return nil, err
			}
			return rawStream{Stream: s, qc: qc}, nil
		}
	})
}

// rawStream is a stream whose Close closes its connection.
type rawStream struct {
	*quic.Stream
	qc *quic.Conn
}

func (r rawStream) Close() error { return r.qc.CloseWithError(0, "") }
