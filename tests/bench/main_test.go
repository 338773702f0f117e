package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" { // a child of TestHarness's run
		os.Exit(childMain(os.Stdin, os.Stdout))
	}
	goleak.VerifyTestMain(m)
}
