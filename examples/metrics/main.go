// Command metrics exports an interface's OpenTelemetry metrics through
// Prometheus and shows a scrape: a server and a client over loopback TCP,
// both with ipfiotel's interceptor (ipfiotel.WithMeterProvider), make a few
// calls (some fail), then the program scrapes its own /metrics over HTTP
// and prints the ipfi lines.
//
//	go run ./examples/metrics          # one scrape, then exit
//	go run ./examples/metrics -serve   # keep serving /metrics (and /debug/ipfi) until interrupted
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfidebug"
	"github.com/ipfi-go/ipfi/ipfiotel"
)

// The server's procedures, which it registers and the client calls through
// these descriptors.
var (
	greet    = ipfi.Proc2[string, string, string]{Index: 1} // first, last -> "Hello, first last!"
	findUser = ipfi.Proc1[int, string]{Index: 2}            // id -> name; every id fails with application code 404
)

func main() {
	serve := flag.Bool("serve", false, "keep serving /metrics until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *serve); err != nil {
		fmt.Fprintln(os.Stderr, "metrics:", err)
		os.Exit(1)
	}
}

// run sets up the exporter, the two interfaces and the HTTP server, makes
// the calls and prints the scrape; with serve it then waits for ctx.
func run(ctx context.Context, out io.Writer, serve bool) error {
	// OpenTelemetry's Prometheus exporter is a metric reader registered
	// on a Prometheus registry; the MeterProvider feeds it.
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer mp.Shutdown(context.Background())

	// The application's codes it declares are labelled by name (404 as
	// not_found); any other application code is "other".
	tel, err := ipfiotel.New(ipfiotel.WithMeterProvider(mp), ipfiotel.WithErrorCodes(map[uint64]string{404: "not_found"}))
	if err != nil {
		return err
	}
	server, err := ipfi.New(ipfi.WithInterceptors(tel))
	if err != nil {
		return err
	}
	defer server.Close()
	if err := errors.Join(
		greet.Register(server, func(_ context.Context, first, last string) (string, error) {
			return "Hello, " + first + " " + last + "!", nil
		}),
		findUser.Register(server, func(_ context.Context, id int) (string, error) {
			return "", &ipfi.Error{Code: 404, Message: fmt.Sprintf("no user %d", id)}
		}),
	); err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- server.Serve(sctx, l) }()
	defer func() {
		cancel()
		<-served
	}()

	// /metrics for Prometheus, /debug/ipfi for the live view.
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/debug/ipfi", ipfidebug.Handler(server))
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(hl)
	defer hs.Close()

	client, err := ipfi.New(ipfi.WithInterceptors(tel))
	if err != nil {
		return err
	}
	defer client.Close()
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	w, err := client.Dial(cctx, "tcp", l.Addr().String())
	if err != nil {
		return err
	}
	for _, name := range []string{"Ada", "Grace", "Barbara"} {
		if _, err := greet.Call(cctx, w, name, "Doe"); err != nil {
			return err
		}
	}
	if _, err := findUser.Call(cctx, w, 7); err == nil {
		return errors.New("procedure 2 succeeded")
	}

	// The server records a call once its procedure has returned, which is
	// after the caller has its answer: wait until no call is being served.
	if err := quiet(cctx, server); err != nil {
		return err
	}
	url := "http://" + hl.Addr().String() + "/metrics"
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	scrape, err := get(cctx, hc, url)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "GET %s (the ipfi lines):\n", url)
	for _, line := range strings.Split(scrape, "\n") {
		if strings.HasPrefix(line, "ipfi_") && !strings.Contains(line, "_bucket{") {
			fmt.Fprintln(out, line)
		}
	}
	if !serve {
		return nil
	}
	fmt.Fprintf(out, "serving %s and http://%s/debug/ipfi until interrupted\n", url, hl.Addr())
	<-ctx.Done()
	return nil
}

// get returns the body of an HTTP GET.
func get(ctx context.Context, hc *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), err
}

// quiet returns once iface serves no call (its live view lists none), or
// ctx's error.
func quiet(ctx context.Context, iface *ipfi.Interface) error {
	for {
		serving := 0
		for _, w := range iface.Snapshot().Wires {
			serving += len(w.Serving)
		}
		if serving == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.Gosched()
	}
}
