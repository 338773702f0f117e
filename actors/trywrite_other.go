//go:build !unix

package actors

import (
	"context"
	"io"
)

// transportWriters: non-blocking and waiting writes are only done on Unix
// descriptors.
func transportWriters(io.Writer) (func([]byte) (int, error), func(context.Context, [][]byte) (int, int, error)) {
	return nil, nil
}
