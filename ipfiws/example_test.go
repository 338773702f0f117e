package ipfiws_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfiws"
)

// An HTTP page and IPFI on one port: the server mounts Handler at /ipfi
// beside its page, and a client dials ws://host/ipfi.
func Example() {
	ctx := context.Background()
	hello := ipfi.Proc1[string, string]{Index: 1}

	server, _ := ipfi.New()
	defer server.Close()
	hello.Register(server, func(_ context.Context, name string) (string, error) {
		return "Hello, " + name + "!", nil
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "a page")
	})
	mux.Handle("/ipfi", ipfiws.Handler(server))
	srv := httptest.NewServer(mux) // or http.ListenAndServe(TLS)
	defer srv.Close()

	client, _ := ipfi.New()
	defer client.Close()
	w, err := ipfiws.Dial(ctx, client, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ipfi")
	if err != nil {
		panic(err)
	}
	fmt.Println(hello.Call(ctx, w, "WebSocket"))

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		panic(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(page))
	// Output:
	// Hello, WebSocket! <nil>
	// a page
}
