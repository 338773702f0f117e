package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/ipfitest"
	"github.com/ipfi-go/ipfi/ipfitest/transporttest"
	"github.com/ipfi-go/ipfi/procedures"
	"github.com/ipfi-go/ipfi/supervision"
	"github.com/ipfi-go/ipfi/wire"
)

// childEnv, set, makes the test binary a module serving on its stdio
// (childMain) instead of running tests.
const childEnv = "IPFI_TEST_CHILD"

// The module's procedures.
const (
	childGreet    = 1 // name -> "Hello, name!"
	childStray    = 2 // prints a line to stdout, then returns 42
	childExit     = 3 // code -> exits the process with it
	childCloseOwn = 4 // closes its own wire (from a goroutine), returns 1
)

// childMain is the module: it serves its procedures on its stdio until the
// host closes the wire or goes away, then exits 0.
func childMain() int {
	i, err := ipfi.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	_ = i.Register(childGreet, procedures.Func1(func(_ context.Context, name string) (string, error) {
		return "Hello, " + name + "!", nil
	}))
	_ = i.Register(childStray, procedures.Func0(func(context.Context) (int, error) {
		fmt.Println("a stray line on stdout")
		return 42, nil
	}))
	_ = i.Register(childExit, procedures.Func1(func(_ context.Context, code int) (int, error) {
		os.Exit(code)
		return 0, nil
	}))
	_ = i.Register(childCloseOwn, procedures.Func0(func(ctx context.Context) (int, error) {
		w := ipfi.WireFrom(ctx)
		go w.Close()
		return 1, nil
	}))
	if err := transporttest.RegisterCallee(i); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	w, err := i.ConnectStdio()
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	<-w.Done()
	_ = i.Close()
	fmt.Fprintln(os.Stderr, "child: wire ended:", w.Err())
	return 0
}

// childCmd is a command that runs this test binary as the module.
func childCmd() *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// Under the race detector a process sleeps 1 s before it exits
	// (atexit_sleep_ms): not for the module.
	cmd.Env = append(os.Environ(), childEnv+"=1", "GORACE=atexit_sleep_ms=0")
	return cmd
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestProcessWire: a host calls a module it started (ConnectCmd) over the
// module's stdio; the module's stray print to stdout goes to its stderr,
// not into the wire; Close sends the module a Termination message, the
// module exits, and Close returns well within ProcessGrace.
func TestProcessWire(t *testing.T) {
	host := newInterface(t)
	cmd := childCmd()
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	w, err := host.ConnectCmd(cmd)
	must(t, err)
	ctx := bounded(t, 10*time.Second)
	if got, err := ipfi.Call[string](ctx, w, childGreet, "host"); err != nil || got != "Hello, host!" {
		t.Fatalf("greet: %q, %v", got, err)
	}
	if got, err := ipfi.Call[int](ctx, w, childStray); err != nil || got != 42 {
		t.Fatalf("a call whose procedure prints to stdout: %v, %v; want 42", got, err)
	}
	if got, err := ipfi.Call[string](ctx, w, childGreet, "again"); err != nil || got != "Hello, again!" {
		t.Fatalf("a call after the stray print: %q, %v", got, err)
	}
	start := time.Now()
	must(t, w.Close())
	took := time.Since(start)
	if took > ipfi.ProcessGrace/2 {
		t.Fatalf("Close took %v: the module did not exit on its Termination message", took)
	}
	if s := stderr.String(); !strings.Contains(s, "a stray line on stdout") || !strings.Contains(s, "peer terminated") {
		t.Fatalf("the module's stderr: %q; want the stray line and its wire's end", s)
	}
	if cmd.ProcessState == nil || !cmd.ProcessState.Success() {
		t.Fatalf("the module: %v, want it to have exited 0", cmd.ProcessState)
	}
}

// TestProcessExitEndsWire: a module that exits ends its wire with a cause
// matching ErrProcessExited that gives its exit status; the call pending
// on it fails with it.
func TestProcessExitEndsWire(t *testing.T) {
	host := newInterface(t)
	cmd := childCmd()
	cmd.Stderr = io.Discard
	w, err := host.ConnectCmd(cmd)
	must(t, err)
	_, err = ipfi.Call[int](bounded(t, 10*time.Second), w, childExit, 3)
	if !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, ipfi.ErrProcessExited) || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("a call whose module exited 3: %v, want a WireError with ErrProcessExited and the status", err)
	}
	<-w.Done()
	if !errors.Is(w.Err(), ipfi.ErrProcessExited) {
		t.Fatalf("the wire's cause: %v", w.Err())
	}
	must(t, w.Close())
}

// startRawChild starts the module with pipes the test drives by hand, and
// drains its output.
func startRawChild(t *testing.T) (cmd *exec.Cmd, stdin io.WriteCloser, stderr *lockedBuffer, exited chan error) {
	t.Helper()
	cmd = childCmd()
	stderr = &lockedBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	must(t, err)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	exited = make(chan error, 1)
	go func() {
		<-drained // Wait closes stdout: read it to its end first
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		<-drained
	})
	return cmd, stdin, stderr, exited
}

// TestStdioCloseDoesNotWaitForInput: a module that closes its own wire
// while its host keeps its stdin open exits at once: its wire's Close does
// not wait for a read of stdin to return (ConnectStdio reads a pollable
// duplicate). Bound: 3 s (it takes milliseconds).
func TestStdioCloseDoesNotWaitForInput(t *testing.T) {
	_, stdin, stderr, exited := startRawChild(t)
	_, err := stdin.Write(append(bytes.Clone(announcements), frame(wire.KindCall, wire.TermComplete, childCloseOwn, 0, nil)...))
	must(t, err)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the module exited with %v, want 0", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("the module did not exit within 3 s of closing its wire, its stdin still open (stderr %q)", stderr.String())
	}
}

// TestModuleExitsWhenHostGoes: a module whose host goes away without a
// word (its stdin ends) ends its wire and exits: no orphan.
func TestModuleExitsWhenHostGoes(t *testing.T) {
	_, stdin, stderr, exited := startRawChild(t)
	_, err := stdin.Write(announcements)
	must(t, err)
	must(t, stdin.Close()) // the host is gone
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the module exited with %v, want 0", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the module did not exit within 3 s of its host going away")
	}
	if s := stderr.String(); !strings.Contains(s, "peer closed") {
		t.Fatalf("the module's stderr: %q, want its wire ended by the end of its input", s)
	}
}

// TestOneByteAtATimeBothWays: the main scenarios over a transport that
// reads and writes one byte per call in both directions
// (ipfitest.OneByteAtATime): unary both ways, a stream, arguments in pieces,
// and the wire's death failing a pending call.
func TestOneByteAtATimeBothWays(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	blk := newBlocker()
	defer close(blk.release)
	registerBothWays(t, a, b, blk)
	ca, cb := net.Pipe()
	slowA := ipfitest.OneByteAtATime(ca)
	wa, err := a.Connect(slowA, slowA)
	must(t, err)
	slowB := ipfitest.OneByteAtATime(cb)
	wb, err := b.Connect(slowB, slowB)
	must(t, err)
	ctx := bounded(t, 20*time.Second)
	bothWays(ctx, t, wa, wb, 20, 10)
	p, err := wa.Start(ctx, 4)
	must(t, err)
	<-blk.started
	must(t, wb.Close())
	if err := p.Wait(ctx, nil); !errors.Is(err, ipfi.ErrWireTerminated) {
		t.Fatalf("a call pending as the wire died: %v, want ErrWireTerminated", err)
	}
}

// TestPipe: ipfitest.Pipe connects two interfaces in memory.
func TestPipe(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	must(t, b.Register(1, procedures.Func0(func(context.Context) (string, error) { return "b", nil })))
	must(t, a.Register(1, procedures.Func0(func(context.Context) (string, error) { return "a", nil })))
	wa, wb, err := ipfitest.Pipe(a, b)
	must(t, err)
	ctx := bounded(t, 5*time.Second)
	if got, err := ipfi.Call[string](ctx, wa, 1); err != nil || got != "b" {
		t.Fatalf("a -> b: %q, %v", got, err)
	}
	if got, err := ipfi.Call[string](ctx, wb, 1); err != nil || got != "a" {
		t.Fatalf("b -> a: %q, %v", got, err)
	}
}

// pushLine carries one direction of a push-mode wire: the sender's writer
// hands bytes to send, and a goroutine of the test (the "event loop" of a
// callback-driven transport) feeds them to the receiver.
type pushLine struct {
	ch   chan []byte
	stop chan struct{}
}

func newPushLine() *pushLine {
	return &pushLine{ch: make(chan []byte, 64), stop: make(chan struct{})}
}

func (l *pushLine) send(b []byte) error {
	select {
	case l.ch <- bytes.Clone(b):
		return nil
	case <-l.stop:
		return io.ErrClosedPipe
	}
}

// pushPair connects a and b with wires in push mode, fed by two goroutines
// of the test (the "event loop" of a callback-driven transport), which stop
// when the test ends, before the interfaces close.
func pushPair(t *testing.T, a, b *ipfi.Interface) (wa, wb *ipfi.Wire, pa, pb *ipfi.Push) {
	t.Helper()
	ab, ba := newPushLine(), newPushLine()
	wa, pa, err := a.ConnectPush(ab.send)
	must(t, err)
	wb, pb, err = b.ConnectPush(ba.send)
	must(t, err)
	var drivers sync.WaitGroup
	drivers.Add(2)
	go ab.run(pb, &drivers)
	go ba.run(pa, &drivers)
	t.Cleanup(func() {
		close(ab.stop)
		close(ba.stop)
		drivers.Wait()
	})
	return wa, wb, pa, pb
}

// registerBothWays registers, for the transport tests, procedure 1 (add)
// on a and b, and on b 2 (a sequence of n), 3 (a bidirectional sum) and 4
// (blk's blocking procedure).
func registerBothWays(t *testing.T, a, b *ipfi.Interface, blk *blocker) {
	t.Helper()
	for _, i := range []*ipfi.Interface{a, b} {
		must(t, i.Register(1, procedures.Func2(func(_ context.Context, x, y int) (int, error) { return x + y, nil })))
	}
	must(t, b.Register(2, procedures.Sequence1(func(_ context.Context, n int, yield func(int) error) error {
		for k := range n {
			if err := yield(k); err != nil {
				return err
			}
		}
		return nil
	})))
	must(t, b.Register(3, procedures.Bidi(func(_ context.Context, in iter.Seq2[int, error], yield func(int) error) error {
		sum := 0
		for v, err := range in {
			if err != nil {
				return err
			}
			sum += v
		}
		return yield(sum)
	})))
	must(t, b.Register(4, blk.unary()))
}

// bothWays runs the scenarios of registerBothWays's procedures over the
// connected wires wa and wb: unary a -> b and b -> a, a stream of n values
// from b, and the pieces 1..pieces sent to b's summing procedure.
func bothWays(ctx context.Context, t *testing.T, wa, wb *ipfi.Wire, n, pieces int) {
	t.Helper()
	if got, err := ipfi.Call[int](ctx, wa, 1, 2, 3); err != nil || got != 5 {
		t.Fatalf("a -> b: %v, %v", got, err)
	}
	if got, err := ipfi.Call[int](ctx, wb, 1, 4, 5); err != nil || got != 9 {
		t.Fatalf("b -> a: %v, %v", got, err)
	}
	if got, err := ipfi.Collect[int](ctx, wa, 2, n); err != nil || len(got) != n || got[n-1] != n-1 {
		t.Fatalf("stream: %d values, %v", len(got), err)
	}
	s, err := wa.Open(ctx, 3)
	must(t, err)
	defer s.Close()
	for k := 1; k <= pieces; k++ {
		must(t, s.Send(k))
	}
	must(t, s.CloseSend())
	var sum int
	if err := s.Recv(&sum); err != nil || sum != pieces*(pieces+1)/2 {
		t.Fatalf("arguments in pieces: %v, %v", sum, err)
	}
}

// run feeds what arrives to p until the line stops.
func (l *pushLine) run(p *ipfi.Push, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case b := <-l.ch:
			if p.Feed(b) != nil {
				return
			}
		case <-l.stop:
			return
		}
	}
}

// TestPushMode: two interfaces whose wires are in push mode (ConnectPush:
// no goroutine of the library reads; the program feeds the bytes in and
// takes them out through a callback) run the main scenarios: unary both
// ways, a stream, arguments in pieces, and the input's end failing a
// pending call with the cause given.
func TestPushMode(t *testing.T) {
	a, b := newInterface(t), newInterface(t)
	blk := newBlocker()
	defer close(blk.release)
	registerBothWays(t, a, b, blk)
	wa, wb, pa, _ := pushPair(t, a, b)

	ctx := bounded(t, 10*time.Second)
	bothWays(ctx, t, wa, wb, 1000, 100)
	if !wa.PeerExtensions() || !wb.PeerExtensions() {
		t.Fatal("the push-mode wires did not see each other's extensions")
	}
	p, err := wa.Start(ctx, 4)
	must(t, err)
	<-blk.started
	cut := errors.New("the radio went quiet")
	pa.End(cut)
	if err := p.Wait(ctx, nil); !errors.Is(err, ipfi.ErrWireTerminated) || !errors.Is(err, cut) {
		t.Fatalf("a call pending as the input ended: %v, want a WireError with the cause given", err)
	}
	if err := pa.Feed([]byte{0}); !errors.Is(err, ipfi.ErrWireTerminated) {
		t.Fatalf("Feed after the wire ended: %v, want a WireError", err)
	}
}

// TestSupervisedChildRestarts: a module that crashes is started again
// under its restart policy and calls go on over the new wire; the calls
// pending on the old one fail with its exit status; once the policy gives
// up, Wire says so; every change is reported as an event.
func TestSupervisedChildRestarts(t *testing.T) {
	host := newInterface(t)
	var mu sync.Mutex
	var events []string
	record := func(e supervision.Event) {
		mu.Lock()
		defer mu.Unlock()
		s := e.Kind.String()
		if e.Err != nil && strings.Contains(e.Err.Error(), "exit status") {
			s += " (exited)"
		}
		events = append(events, s)
	}
	dial := func(context.Context) (*ipfi.Wire, error) {
		cmd := childCmd()
		cmd.Stderr = io.Discard
		return host.ConnectCmd(cmd)
	}
	ctx := bounded(t, 20*time.Second)
	s, err := host.Supervise(ctx, dial, supervision.Restart{Initial: 10 * time.Millisecond, MaxRestarts: 1}, record)
	must(t, err)
	defer s.Close()
	w, err := s.Wire(ctx)
	must(t, err)
	if got, err := ipfi.Call[string](ctx, w, childGreet, "one"); err != nil || got != "Hello, one!" {
		t.Fatalf("greet: %q, %v", got, err)
	}
	if _, err := ipfi.Call[int](ctx, w, childExit, 3); !errors.Is(err, ipfi.ErrProcessExited) {
		t.Fatalf("the call that crashed the module: %v, want ErrProcessExited", err)
	}
	w2, err := s.Wire(ctx)
	must(t, err)
	if w2 == w {
		t.Fatal("Wire returned the wire that ended")
	}
	if got, err := ipfi.Call[string](ctx, w2, childGreet, "two"); err != nil || got != "Hello, two!" {
		t.Fatalf("greet after the restart: %q, %v", got, err)
	}
	if _, err := ipfi.Call[int](ctx, w2, childExit, 4); !errors.Is(err, ipfi.ErrProcessExited) {
		t.Fatalf("the second crash: %v", err)
	}
	if _, err := s.Wire(ctx); !errors.Is(err, ipfi.ErrGaveUp) || !errors.Is(err, ipfi.ErrProcessExited) {
		t.Fatalf("Wire after the policy gave up: %v, want ErrGaveUp with the last exit", err)
	}
	must(t, s.Close())
	mu.Lock()
	defer mu.Unlock()
	want := []string{"up", "down (exited)", "up", "down (exited)", "gave up (exited)"}
	if fmt.Sprint(events) != fmt.Sprint(want) {
		t.Fatalf("events %q, want %q", events, want)
	}
}

// hostEnv, set, makes the test binary a host (hostMain) that runs the
// module and waits to be killed.
const hostEnv = "IPFI_TEST_HOST"

// hostMain starts the module over its stdio (ConnectCmd), prints the
// module's pid once the module has answered a call, and waits (at most a
// minute) to be killed.
func hostMain() int {
	host, err := ipfi.New()
	if err != nil {
		return 1
	}
	cmd := childCmd()
	w, err := host.ConnectCmd(cmd)
	if err != nil {
		return 1
	}
	if _, err := ipfi.Call[string](context.Background(), w, childGreet, "host"); err != nil {
		return 1
	}
	fmt.Println(cmd.Process.Pid)
	time.Sleep(time.Minute) // the test kills this process long before
	return 0
}

// gone reports whether process pid has exited (a zombie waiting for a
// parent that does not reap it counts as exited).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name in parentheses.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z' || s[i+2] == 'X'
	}
	return false
}

// TestModuleExitsWhenHostIsKilled: a host process that is killed (SIGKILL:
// no Termination, no cleanup) leaves no module behind: the module reads
// the end of its input and exits. Bound: 5 s.
func TestModuleExitsWhenHostIsKilled(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to watch a process that is not this one's child")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), hostEnv+"=1", "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	var pid int
	if _, err := fmt.Fscan(out, &pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("reading the module's pid from the host: %v", err)
	}
	must(t, cmd.Process.Kill())
	_ = cmd.Wait()
	// Nothing signals the exit of a process that is not this one's child:
	// its state is polled, every 10 ms, for at most 5 s.
	deadline := time.Now().Add(5 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the module (pid %d) outlived its killed host by 5 s", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSupervisedDialledAddress: a supervised wire to an address is dialled
// again when the server drops it, and calls go on; closing the Supervised
// while it waits to restart stops it (nothing left running: goleak).
func TestSupervisedDialledAddress(t *testing.T) {
	server := newInterface(t)
	must(t, server.Register(1, procedures.Func0(func(ctx context.Context) (int, error) { return 7, nil })))
	must(t, server.Register(2, procedures.Func0(func(ctx context.Context) (int, error) {
		w := ipfi.WireFrom(ctx)
		go w.Close() // the server drops the client's wire
		return 0, nil
	})))
	addr, _ := serveLoopback(t, server)
	client := newInterface(t)
	ups := make(chan struct{}, 10)
	ctx := bounded(t, 10*time.Second)
	s, err := client.Supervise(ctx, func(ctx context.Context) (*ipfi.Wire, error) {
		return client.Dial(ctx, "tcp", addr)
	}, supervision.Restart{Initial: 10 * time.Millisecond}, func(e supervision.Event) {
		if e.Kind == supervision.Up {
			ups <- struct{}{}
		}
	})
	must(t, err)
	<-ups
	for round := range 3 {
		w, err := s.Wire(ctx)
		must(t, err)
		if got, err := ipfi.Call[int](ctx, w, 1); err != nil || got != 7 {
			t.Fatalf("round %d: %v, %v", round, got, err)
		}
		_, _ = ipfi.Call[int](ctx, w, 2) // dropped by the server
		<-ups                            // dialled again
	}
	// Dropped once more, then closed while the policy's delay runs.
	s2, err := client.Supervise(ctx, func(ctx context.Context) (*ipfi.Wire, error) {
		return client.Dial(ctx, "tcp", addr)
	}, supervision.Restart{Initial: time.Hour}, nil)
	must(t, err)
	w, err := s2.Wire(ctx)
	must(t, err)
	_, _ = ipfi.Call[int](ctx, w, 2)
	<-w.Done()
	must(t, s2.Close())
	if _, err := s2.Wire(ctx); !errors.Is(err, ipfi.ErrClosed) {
		t.Fatalf("Wire after Close: %v, want ErrClosed", err)
	}
	must(t, s.Close())
}
