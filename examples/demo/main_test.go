package main

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemo runs the demo (README's main job) as a test, so that CI runs it
// under the race detector and goleak: it must succeed and leave nothing
// behind.
func TestDemo(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
