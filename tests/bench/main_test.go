package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if system := os.Getenv(pluginEnv); system != "" { // a plugin of plugin_unary's host
		os.Exit(pluginMain(system))
	}
	if os.Getenv(childEnv) == "1" { // a child of TestHarness's run
		os.Exit(childMain(os.Stdin, os.Stdout))
	}
	goleak.VerifyTestMain(m)
}
