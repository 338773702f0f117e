package tests

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain()) // this binary, run as a module by the process tests
	}
	if os.Getenv(hostEnv) != "" {
		os.Exit(hostMain()) // this binary, run as a host that the test kills
	}
	goleak.VerifyTestMain(m)
}
