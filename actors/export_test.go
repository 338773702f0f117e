package actors

import "testing"

// setRecvWaitsHook makes Recv call f before it waits for a value, until the
// test ends. Tests that set it must not run in parallel.
func setRecvWaitsHook(t testing.TB, f func()) {
	old := testHookRecvWaits
	testHookRecvWaits = f
	t.Cleanup(func() { testHookRecvWaits = old })
}
