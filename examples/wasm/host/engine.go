package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/examples/wasm/internal/contract"
	"github.com/ipfi-go/ipfi/procedures"
)

// engine holds what every session shares: the wazero runtime with the
// guests compiled once, and the host's IPFI interface, one wire of which
// goes to each module instance.
type engine struct {
	rt      wazero.Runtime
	cache   wazero.CompilationCache
	guest   wazero.CompiledModule // the library guest
	hand    wazero.CompiledModule // the hand-written guest
	lite    wazero.CompiledModule // the guest served with package guest
	host    *ipfi.Interface
	base    wazero.ModuleConfig // real clocks, the modules' stderr
	verbose bool                // the guests log to stderr

	compileTook time.Duration // compiling the guests (from the cache when it is warm)
	names       atomic.Uint64
	running     sync.WaitGroup // one per instance whose InstantiateModule has not returned
}

// newEngine compiles the guests (building them first if o names no .wasm
// files) and makes the host's interface.
func newEngine(ctx context.Context, o options) (_ *engine, err error) {
	files := []string{o.guest, o.handguest, o.liteguest}
	if slices.Contains(files, "") {
		if files, err = buildGuests(ctx, o.guestDir(), false, "guest", "handguest", "liteguest"); err != nil {
			return nil, err
		}
	}
	e := &engine{verbose: o.verbose}
	defer func() {
		if err != nil {
			e.close(context.WithoutCancel(ctx))
		}
	}()
	if e.cache, err = wazero.NewCompilationCacheWithDir(filepath.Join(o.cacheDir, "wazero")); err != nil {
		return nil, err
	}
	// WithCloseOnContextDone (-interruptible): an instance whose context
	// ends is stopped even in the middle of its own code, at a price
	// (checks compiled into every loop and call, which Go's code is full
	// of; see the README's figures). Without it, killing an instance
	// closes its pipes, which ends a module waiting for input, as ours do
	// between calls, but not one stuck in a loop of its own: kill then
	// gives up after killWait and says so.
	e.rt = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(e.cache).
		WithCloseOnContextDone(o.interruptible))
	if _, err = wasi_snapshot_preview1.Instantiate(ctx, e.rt); err != nil {
		return nil, err
	}
	start := time.Now()
	for i, m := range []*wazero.CompiledModule{&e.guest, &e.hand, &e.lite} {
		if *m, err = compile(ctx, e.rt, files[i]); err != nil {
			return nil, err
		}
	}
	e.compileTook = time.Since(start)

	// Real clocks and sleep: wazero's defaults are fake (a clock that
	// moves 1 ms per reading, a sleep that returns at once), which Go's
	// timers inside the module cannot work with.
	e.base = wazero.NewModuleConfig().
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithStderr(o.stderr)

	if e.host, err = ipfi.New(); err != nil {
		return nil, err
	}
	err = e.host.Register(contract.HostDouble, procedures.Func1(func(_ context.Context, x int) (int, error) {
		return 2 * x, nil
	}))
	return e, err
}

// close closes the host's interface (every module still running reads its
// wire's end and exits), waits for the instances, then closes the runtime.
func (e *engine) close(ctx context.Context) error {
	var errs []error
	if e.host != nil {
		errs = append(errs, e.host.Close())
	}
	done := make(chan struct{})
	go func() {
		e.running.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(killWait):
		// Leave the runtime to the process's exit.
		return errors.Join(append(errs, fmt.Errorf("instances still running %s after their wires were closed", killWait))...)
	}
	if e.rt != nil {
		errs = append(errs, e.rt.Close(ctx))
	}
	if e.cache != nil {
		errs = append(errs, e.cache.Close(ctx))
	}
	return errors.Join(errs...)
}

func compile(ctx context.Context, rt wazero.Runtime, path string) (wazero.CompiledModule, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := rt.CompileModule(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", path, err)
	}
	return m, nil
}

// instance is one module instance and the host's wire to it.
type instance struct {
	name    string
	wire    *ipfi.Wire
	started time.Time // when its instantiation began
	cancel  context.CancelFunc

	exited chan struct{} // closed once InstantiateModule has returned
	err    error         // what it returned: nil when the module exited 0
}

// start instantiates compiled on a goroutine of its own and connects the
// host's interface to its stdio: its stdin is the read end of an OS pipe
// (Go on wasip1 polls it; a read of any other io.Reader would block the
// whole module), its stdout a writer the host reads through another pipe.
// The instance ends when the module exits; when ctx ends, the host closes
// its wire; kill ends it at once.
func (e *engine) start(ctx context.Context, compiled wazero.CompiledModule) (*instance, error) {
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return nil, errors.Join(err, stdinR.Close(), stdinW.Close())
	}
	name := "guest-" + strconv.FormatUint(e.names.Add(1), 10)
	started := time.Now()
	// The host's end first: the wire writes its first bytes into the pipe
	// while the module starts.
	var opts []ipfi.Option
	if compiled == e.hand {
		// It speaks the base format only and writes nothing until called:
		// a wire that expected announcements would hold a first call with
		// a deadline (or metadata) for a second, waiting for them.
		opts = append(opts, ipfi.WithPlain())
	}
	w, err := e.host.Connect(stdoutR, stdinW, opts...) // closes both when the wire ends
	if err != nil {
		return nil, errors.Join(err, stdinR.Close(), stdinW.Close(), stdoutR.Close(), stdoutW.Close())
	}
	w.SetLabel(name)

	// The library guest takes its name and when the host began
	// instantiating it (to time its start); the others ignore their
	// arguments.
	args := []string{name, "-name", name, "-start", strconv.FormatInt(started.UnixNano(), 10)}
	if e.verbose {
		args = append(args, "-v")
	}
	config := e.base.WithName(name).
		WithArgs(args...).
		WithStartFunctions("_start"). // the default: wasip1's main, which runs until the module exits
		WithStdin(stdinR).
		// Not the *os.File itself: the module would make it non-blocking,
		// and wazero cannot wait for a descriptor to become writable, so a
		// module that found the pipe full would retry in a loop. Through a
		// plain io.Writer a write waits until the host has read enough.
		WithStdout(writerOnly{stdoutW})

	ctx, cancel := context.WithCancel(ctx)
	in := &instance{name: name, wire: w, started: started, cancel: cancel, exited: make(chan struct{})}
	stop := context.AfterFunc(ctx, func() { _ = w.Close() })
	e.running.Add(1)
	go func() {
		defer e.running.Done()
		defer close(in.exited)
		// On an interruptible runtime, ctx's end also stops the module.
		_, in.err = e.rt.InstantiateModule(ctx, compiled, config)
		stop()
		cancel()
		stdoutW.Close() // the host's wire reads the end of the module's output
		stdinR.Close()
	}()
	return in, nil
}

// memory returns the size of the instance's linear memory while it runs.
func (e *engine) memory(in *instance) uint32 {
	if m := e.rt.Module(in.name); m != nil {
		if mem := m.Memory(); mem != nil {
			return mem.Size()
		}
	}
	return 0
}

// wait waits until the module has exited and returns how: nil for exit
// code 0. If ctx ends first it kills the instance.
func (in *instance) wait(ctx context.Context) error {
	select {
	case <-in.exited:
	case <-ctx.Done():
		return errors.Join(fmt.Errorf("%s did not exit: %w", in.name, context.Cause(ctx)), in.kill())
	}
	if in.err != nil {
		return fmt.Errorf("%s: %w", in.name, in.err)
	}
	return nil
}

// kill ends the instance now: the wire is closed (the module reads the end
// of its input) and, on an interruptible runtime, the module is closed even
// if it is running its own code. It waits at most killWait for
// InstantiateModule to return.
func (in *instance) kill() error {
	in.cancel()
	_ = in.wire.Close()
	select {
	case <-in.exited:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("%s still running %s after it was killed (stuck in its own code? see -interruptible)", in.name, killWait)
	}
}

// killWait is how long kill, and closing the engine, wait for instances to
// end.
const killWait = 5 * time.Second

// writerOnly hides every method of a writer but Write.
type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(b []byte) (int, error) { return w.w.Write(b) }

// prefixWriter writes each line with a prefix (the modules' stderr).
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) > 0 {
			if _, err := fmt.Fprintf(p.w, "%s%s", p.prefix, line); err != nil {
				return 0, err
			}
		}
	}
	return len(b), nil
}
