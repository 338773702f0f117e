package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(moduleEnv) != "" {
		os.Exit(module()) // the test binary, run as the module
	}
	goleak.VerifyTestMain(m)
}

// syncBuffer is a bytes.Buffer for several writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHostModule runs the example with a real child process: calls both
// ways, a stream back, the module crashing with a stream pending (which
// fails with the exit status), the module restarted and called again, and
// a clean end.
func TestHostModule(t *testing.T) {
	for _, args := range [][]string{{"-quiet"}, {"-crash"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out syncBuffer
			if err := run(ctx, args, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			s := out.String()
			want := []string{"Hello, host", "squares streamed back: [1 4 9 16]", "done"}
			if args[0] == "-crash" {
				want = append(want, "exit status 3", "module wire up (restarts 1)", "after the restart", "module: wire ended")
			}
			for _, w := range want {
				if !strings.Contains(s, w) {
					t.Fatalf("output lacks %q:\n%s", w, s)
				}
			}
		})
	}
}
