package supervision_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ipfi-go/ipfi/supervision"
)

// TestEventString: an event prints as a log line, not as a struct.
func TestEventString(t *testing.T) {
	refused := errors.New("connection refused")
	for _, c := range []struct {
		e    supervision.Event
		want string
	}{
		{supervision.Event{Kind: supervision.Up}, "up after 0 restarts"},
		{supervision.Event{Kind: supervision.Down, Err: refused, Restarts: 1}, "down after 1 restart: connection refused"},
		{supervision.Event{Kind: supervision.GaveUp, Err: refused, Restarts: 5}, "gave up after 5 restarts: connection refused"},
	} {
		if got := fmt.Sprint(c.e); got != c.want {
			t.Errorf("%#v prints %q, want %q", c.e, got, c.want)
		}
	}
}
