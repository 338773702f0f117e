package main

import (
	"context"
	"errors"
)

// startGoPlugin starts the goplugin system (hashicorp/go-plugin).
func startGoPlugin(context.Context, *env) (system, error) {
	return nil, errors.New("bench: goplugin: not yet")
}
