package ipfidebug_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfidebug"
	"github.com/ipfi-go/ipfi/ipfitest"
)

// An interface's live view served over HTTP, and exposed to its peers as
// a procedure that a peer calls (what `ipfi tree` does).
func Example() {
	a, _ := ipfi.New()
	defer a.Close()
	b, _ := ipfi.New()
	defer b.Close()
	if err := ipfidebug.Expose(b, ipfidebug.SnapshotIndex); err != nil {
		panic(err)
	}
	w, _, err := ipfitest.Pipe(a, b)
	if err != nil {
		panic(err)
	}

	srv := httptest.NewServer(ipfidebug.Handler(b))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		panic(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(strings.SplitN(string(text), "\n", 2)[0])

	view, err := ipfi.Call[string](context.Background(), w, ipfidebug.SnapshotIndex)
	fmt.Println(strings.Contains(view, `"wires":[{"id":1`), err)
	// Output:
	// interface: 1 wire
	// true <nil>
}
