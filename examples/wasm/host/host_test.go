package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/wasm/internal/contract"
	"github.com/tetratelabs/wazero/sys"
)

// TestMain fails the tests if any goroutine outlives them: the host's
// wires, the goroutines running the instances, the go commands.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testOptions returns options for run and newEngine that build the guests
// into a temporary directory and write to out, the modules' stderr
// included; it skips the test when the toolchain cannot build for wasip1.
// wazero's compilation cache is the one `go run ./host` uses, so that only
// the first run compiles (a minute under -race).
func testOptions(t *testing.T, out *syncBuffer) options {
	t.Helper()
	list, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		t.Skipf("cannot ask the go command for its targets: %v", err)
	}
	if !strings.Contains(string(list), "wasip1/wasm\n") {
		t.Skip("this Go toolchain cannot build for wasip1/wasm (Go 1.21 or newer can)")
	}
	return options{
		buildDir: t.TempDir(),
		cacheDir: defaultCacheDir(),
		out:      out,
		stderr:   &prefixWriter{w: out, prefix: "  [module stderr] "},
	}
}

// TestRun runs the host as `go run ./host -n 4` does: a call, a stream, a
// callback, a batch ended with End of input after which the module exits 0
// on its own, the hand-written and the lightweight guests, then four
// instances side by side.
func TestRun(t *testing.T) {
	var out syncBuffer
	o := testOptions(t, &out)
	o.n = 4
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := run(ctx, o); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, out.String())
	}
	for _, want := range []string{
		`"Hello from a wasm guest"`,
		"add(2, 40) = 42",
		"sequence(5) = [0 1 2 3 4]",
		"called host.double(7) = 14 over the same wire, answered 21",
		"100 calls sent without waiting, then End of input: 100 answers, the module exited 0 on its own",
		"hand-written guest:     add(2, 40) = 42, then a batch of 10 with End of input; it exited 0",
		"package guest:          sequence(3) = [0 1 2], callback(7) = 21, then a batch of 10 with End of input; it exited 0",
		"4 instances side by side: started, answered, batch with End of input, exited 0",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in the output:\n%s", want, out.String())
		}
	}
}

// TestInstanceEnds checks the other ways a module's session ends: the host
// closes the wire (the module reads a Termination message and exits 0), or
// the instance's context ends (the host closes the wire for it).
func TestInstanceEnds(t *testing.T) {
	ctx, e := testEngine(t)

	t.Run("host closes the wire", func(t *testing.T) {
		for _, compiled := range []struct {
			name string
			in   func() (*instance, error)
		}{
			{"library guest", func() (*instance, error) { return e.start(ctx, e.guest) }},
			{"hand-written guest", func() (*instance, error) { return e.start(ctx, e.hand) }},
			{"lightweight guest", func() (*instance, error) { return e.start(ctx, e.lite) }},
		} {
			in, err := compiled.in()
			if err != nil {
				t.Fatal(err)
			}
			if sum, err := ipfi.Call[int](ctx, in.wire, contract.ProcAdd, 20, 22); err != nil || sum != 42 {
				t.Fatalf("%s: add(20, 22) = %d, %v", compiled.name, sum, err)
			}
			if err := in.wire.Close(); err != nil {
				t.Fatal(err)
			}
			if err := in.wait(ctx); err != nil {
				t.Errorf("%s: after the host closed the wire: %v, want exit 0", compiled.name, err)
			}
		}
	})

	t.Run("context ends", func(t *testing.T) {
		ictx, icancel := context.WithCancel(ctx)
		in, err := e.start(ictx, e.guest)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ipfi.Call[string](ctx, in.wire, contract.ProcHello); err != nil {
			t.Fatal(err)
		}
		icancel()
		if err := in.wait(ctx); err != nil {
			t.Errorf("after its context ended: %v, want exit 0", err)
		}
		if !errors.Is(in.wire.Err(), ipfi.ErrClosed) {
			t.Errorf("the wire ended with %v, want ErrClosed", in.wire.Err())
		}
	})

	t.Run("wait gives up", func(t *testing.T) {
		in, err := e.start(ctx, e.guest)
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithCancel(ctx)
		wcancel()
		if err := in.wait(wctx); !errors.Is(err, context.Canceled) {
			t.Errorf("wait with an ended context: %v, want context.Canceled", err)
		}
		select {
		case <-in.exited:
		default:
			t.Error("wait returned before killing the instance")
		}
	})
}

// testEngine starts an engine for a test with the test's options (the
// modules' output goes to a buffer), closed when the test ends; its
// context, which ends after 3 minutes, bounds the test's instances.
func testEngine(t *testing.T) (context.Context, *engine) {
	t.Helper()
	var out syncBuffer
	o := testOptions(t, &out)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	e, err := newEngine(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return ctx, e
}

// syncBuffer is a bytes.Buffer that the host and its modules' stderr write
// to at the same time.
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

// TestStdinThatIsNotAPipe: a library guest given a standard input that is
// not an OS pipe (here an io.Reader) cannot make it non-blocking: it says
// the host must give it a pipe, and exits 1.
func TestStdinThatIsNotAPipe(t *testing.T) {
	ctx, e := testEngine(t)
	var stderr syncBuffer
	config := e.base.WithName("not-a-pipe").WithArgs("guest").
		WithStdin(strings.NewReader("")).WithStdout(&bytes.Buffer{}).WithStderr(&stderr)
	_, err := e.rt.InstantiateModule(ctx, e.guest, config)
	var exit *sys.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the guest with a reader as stdin: %v, want exit code 1", err)
	}
	if !strings.Contains(stderr.String(), "OS pipe") {
		t.Errorf("the guest said %q, want it to ask for an OS pipe", stderr.String())
	}
}
