package ipfi_test

import (
	"context"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
)

// TestStopping: Stopping's channel is open while the interface takes
// wires and closed once Shutdown or Close begins.
func TestStopping(t *testing.T) {
	for _, stop := range []struct {
		name string
		do   func(*ipfi.Interface)
	}{
		{"Close", func(i *ipfi.Interface) { i.Close() }},
		{"Shutdown", func(i *ipfi.Interface) { i.Shutdown(context.Background()) }},
	} {
		t.Run(stop.name, func(t *testing.T) {
			i, err := ipfi.New()
			must(t, err)
			defer i.Close()
			select {
			case <-i.Stopping():
				t.Fatal("Stopping is closed on a new interface")
			default:
			}
			stop.do(i)
			select {
			case <-i.Stopping():
			default:
				t.Fatalf("Stopping is open after %s", stop.name)
			}
		})
	}
}

// TestTimeoutsAccessor: Timeouts returns what WithTimeouts set, each zero
// field as its default and a negative one as it is.
func TestTimeoutsAccessor(t *testing.T) {
	i, err := ipfi.New(ipfi.WithTimeouts(ipfi.Timeouts{Handshake: time.Second, Idle: -1}))
	must(t, err)
	defer i.Close()
	got, def := i.Timeouts(), ipfi.Timeouts{}.WithDefaults()
	if got.Handshake != time.Second || got.Idle != -1 || got.KeepaliveInterval != def.KeepaliveInterval || got.Write != def.Write {
		t.Fatalf("Timeouts() = %+v; want Handshake 1s, Idle -1 and the defaults (%+v)", got, def)
	}
}
