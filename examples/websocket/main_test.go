package main

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestWebSocket runs the example as a test, so that CI runs it under the
// race detector and goleak: it must succeed and leave nothing behind.
func TestWebSocket(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
