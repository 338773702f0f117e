//go:build !unix

package actors

import (
	"context"
	"io"
)

// tryWriter: non-blocking writes are only done on Unix descriptors.
func tryWriter(io.Writer) func([]byte) (int, error) { return nil }

// waitWriter: waiting writes that a context can stop are only done on Unix
// descriptors.
func waitWriter(io.Writer) func(context.Context, [][]byte) (int, int, error) { return nil }
