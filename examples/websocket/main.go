// Command websocket serves an HTML page and IPFI from one HTTP server on
// one port: the page at "/", IPFI at "/ipfi" (ipfiws.Handler). Then, in the
// same program, a client dials ws://.../ipfi, calls a procedure, fetches
// the page with net/http and prints both. It exits 0 when both answered as
// they should.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiws"
)

// greet is the server's procedure, declared once: the server registers it
// through the descriptor, the client calls it through the same one.
var greet = ipfi.Proc1[string, string]{Index: 1} // name -> "Hello, name!"

// page is what the server sends for "/".
const page = `<!doctype html>
<title>ipfi over WebSocket</title>
<p>IPFI is served at <code>/ipfi</code> on this port.</p>
`

func main() {
	if err := run(); err != nil {
		fmt.Println("websocket FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("websocket OK")
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// The server: one interface, one HTTP server, two paths.
	server, err := ipfi.New()
	if err != nil {
		return err
	}
	defer server.Close()
	if err := greet.Register(server, func(_ context.Context, name string) (string, error) {
		return "Hello, " + name + "!", nil
	}); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/ipfi", ipfiws.Handler(server))
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	defer func() {
		// No new requests, then the wires the handler made: server.Close,
		// deferred above, runs after this.
		srv.Shutdown(ctx)
		<-served
	}()
	base := "http://" + l.Addr().String()
	fmt.Println("serving", base+"/", "and", "ws://"+l.Addr().String()+"/ipfi")

	// The client: IPFI over the WebSocket, then the page over plain HTTP.
	client, err := ipfi.New()
	if err != nil {
		return err
	}
	defer client.Close()
	w, err := ipfiws.Dial(ctx, client, "ws://"+l.Addr().String()+"/ipfi")
	if err != nil {
		return err
	}
	got, err := greet.Call(ctx, w, "John")
	if err != nil {
		return err
	}
	fmt.Printf("greet(%q) = %q\n", "John", got)
	if want := "Hello, John!"; got != want {
		return fmt.Errorf("greet returned %q, want %q", got, want)
	}

	body, err := fetch(ctx, base+"/")
	if err != nil {
		return err
	}
	fmt.Printf("GET / = %d bytes:\n%s", len(body), body)
	if body != page {
		return errors.New("GET / did not return the page")
	}
	return nil
}

// fetch gets url and returns its body; a status other than 200 is an error.
// Its connection does not outlive it.
func fetch(ctx context.Context, url string) (string, error) {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		return "", fmt.Errorf("GET %s: Content-Type %q, want text/html", url, resp.Header.Get("Content-Type"))
	}
	return string(b), nil
}
