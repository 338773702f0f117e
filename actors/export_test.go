package actors

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

// setRecvWaitsHook makes Recv call f before it waits for a value, until the
// test ends. Tests that set it must not run in parallel.
func setRecvWaitsHook(t testing.TB, f func()) {
	old := testHookRecvWaits
	testHookRecvWaits = f
	t.Cleanup(func() { testHookRecvWaits = old })
}

// setOutBeginHook makes startCall call f before it hands a call to its
// outbound actor, until the test ends. Tests that set it must not run in
// parallel.
func setOutBeginHook(t testing.TB, f func(ctx actor.Context, pid *actor.PID)) {
	old := testHookOutBegin
	testHookOutBegin = f
	t.Cleanup(func() { testHookOutBegin = old })
}

// setAwaitsAnnouncementsHook makes awaitAnnouncements call f as it begins
// to wait, until the test ends. Tests that set it must not run in
// parallel.
func setAwaitsAnnouncementsHook(t testing.TB, f func()) {
	old := testHookAwaitsAnnouncements
	testHookAwaitsAnnouncements = f
	t.Cleanup(func() { testHookAwaitsAnnouncements = old })
}

// setConnectSpawnsHook makes Connect call f just before it asks the root to
// spawn a wire's actor, until the test ends. Tests that set it must not
// run in parallel.
func setConnectSpawnsHook(t testing.TB, f func()) {
	old := testHookConnectSpawns
	testHookConnectSpawns = f
	t.Cleanup(func() { testHookConnectSpawns = old })
}
