package main

import (
	"context"
	"errors"
)

// startDRPC starts the drpc system (storj.io/drpc).
func startDRPC(context.Context, *env) (system, error) {
	return nil, errors.New("bench: drpc: not yet")
}
