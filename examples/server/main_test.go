package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/procedures"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a bytes.Buffer the server's logger and the test can share.
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

// startServer runs the server with args until the test ends; it returns the
// address the server printed, a function that stops the server and returns
// everything it logged and run's error, and one that returns what it has
// logged so far.
func startServer(t *testing.T, args ...string) (addr string, stop func() (string, error), logged func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, &stderr)
		pw.CloseWithError(errors.Join(err, io.EOF))
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no address line: %v; run: %v; log:\n%s", err, <-done, stderr.String())
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		cancel()
		t.Fatalf("first line is %q, want \"listening on ADDR\"", line)
	}
	var once sync.Once
	var runErr error
	stop = func() (string, error) {
		once.Do(func() { cancel(); runErr = <-done })
		return stderr.String(), runErr
	}
	t.Cleanup(func() { stop() })
	return addr, stop, stderr.String
}

// TestProcedures calls every procedure once over TCP and over a Unix socket,
// then stops the server as a signal would.
func TestProcedures(t *testing.T) {
	for _, listenAddr := range []string{"127.0.0.1:0", "unix:" + filepath.Join(t.TempDir(), "s.sock")} {
		t.Run(strings.SplitN(listenAddr, ":", 2)[0], func(t *testing.T) {
			addr, stop, logged := startServer(t, "-addr", listenAddr, "-log", "debug", "-max-open-calls", "1000")
			network := "tcp"
			if path, ok := strings.CutPrefix(addr, "unix:"); ok {
				network, addr = "unix", path
			}

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			client, err := ipfi.New()
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			w, err := client.Dial(ctx, network, addr)
			if err != nil {
				t.Fatal(err)
			}
			callProcedures(ctx, t, w)

			// The client closing its wire is logged with its cause.
			w.Close()
			for !strings.Contains(logged(), `msg="wire ended"`) && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			if log := logged(); !strings.Contains(log, "peer terminated") {
				t.Errorf("the wire's end is not logged with its cause; log:\n%s", log)
			}

			if log, err := stop(); err != nil {
				t.Fatalf("run returned %v, want nil; log:\n%s", err, log)
			}
		})
	}
}

// callProcedures calls each procedure of the package comment's table once
// and checks its result.
func callProcedures(ctx context.Context, t *testing.T, w *ipfi.Wire) {
	t.Helper()
	if n, err := procConstant.Call(ctx, w); err != nil || n != 42 {
		t.Errorf("constant: %v, %v; want 42", n, err)
	}
	if s, err := procGreeting.Call(ctx, w, "Ada"); err != nil || s != "Hello, Ada!" {
		t.Errorf("greeting: %q, %v", s, err)
	}
	payload := []byte{0, 1, 2, 0xff}
	if b, err := ipfi.Call[[]byte](ctx, w, procEcho, payload); err != nil || !bytes.Equal(b, payload) {
		t.Errorf("echo: %x, %v; want %x", b, err, payload)
	}
	if _, err := ipfi.Call[any](ctx, w, procEcho, 1, 2); !errors.Is(err, procedures.ErrBadArguments) {
		t.Errorf("echo of two values: %v, want ErrBadArguments", err)
	}

	seq, err := procSequence.Collect(ctx, w, 5)
	if err != nil || len(seq) != 5 || seq[0] != 0 || seq[4] != 4 {
		t.Errorf("sequence: %v, %v; want [0 1 2 3 4]", seq, err)
	}
	if _, err := procSequence.Collect(ctx, w, maxSequence+1); !errors.Is(err, procedures.ErrBadArguments) {
		t.Errorf("sequence over the bound: %v, want ErrBadArguments", err)
	}

	s, err := procSum.Open(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, err := range []error{s.Send(1), s.Send(2), s.Send(3), s.Send(4), s.Send(5), s.CloseSend()} {
		if err != nil {
			t.Fatalf("sum: %v", err)
		}
	}
	sum, err := s.Recv()
	if err != nil {
		t.Fatalf("sum: %v", err)
	}
	if _, err := s.Recv(); sum != 15 || err != io.EOF {
		t.Errorf("sum: %d, then %v; want 15, then io.EOF", sum, err)
	}

	if ms, err := procSleep.Call(ctx, w, 10); err != nil || ms != 10 {
		t.Errorf("sleep 10 ms: %v, %v", ms, err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := procSleep.Call(short, w, 60_000); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("sleep cut short: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("sleep cut short returned after %v", d)
	}
	// The wire is still up after the cancelled call.
	if n, err := procConstant.Call(ctx, w); err != nil || n != 42 {
		t.Errorf("constant after the cancelled sleep: %v, %v", n, err)
	}
}

// TestBadOptions: a limit New cannot use, or a flag that does not parse, is
// run's error, before anything listens.
func TestBadOptions(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{{"-max-open-calls", "-1"}, {"-max-frame", "-5"}, {"-max-collected", "-1"}} {
		if err := run(ctx, append(args, "-addr", "127.0.0.1:0"), io.Discard, io.Discard); !errors.Is(err, ipfi.ErrInvalidOption) {
			t.Errorf("run %q: %v, want ErrInvalidOption", args, err)
		}
	}
	for _, args := range [][]string{{"-max-frame", "lots"}, {"-log", "loud"}, {"-nope"}, {"extra"}} {
		if err := run(ctx, args, io.Discard, io.Discard); err == nil {
			t.Errorf("run %q: nil error", args)
		}
	}
}
