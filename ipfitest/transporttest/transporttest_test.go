package transporttest_test

import (
	"testing"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/ipfitest/transporttest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunScenariosOverPipe: the scenarios pass over ipfitest.Pipe, the
// simplest transport (the library's own transports run them in their
// packages).
func TestRunScenariosOverPipe(t *testing.T) {
	transporttest.RunScenarios(t, func(t *testing.T, caller, callee *ipfi.Interface) (*ipfi.Wire, func()) {
		w, wb, err := ipfitest.Pipe(caller, callee)
		if err != nil {
			t.Fatal(err)
		}
		return w, func() { go wb.Close() } // Close waits for the blocked procedure's return
	})
}
