package ipfi

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// ErrProcessExited is the cause of a wire to a child process (ConnectCmd)
// that ended because the process exited; the error says how (its exit
// status, or the signal that killed it).
var ErrProcessExited = errors.New("ipfi: process exited")

// ProcessGrace is how long a wire to a child process, once it has ended,
// lets the process exit by itself before killing it. A module that ends
// when its wire does (see ConnectStdio) exits as soon as it reads the
// Termination message Close sends, or the end of its input.
const ProcessGrace = 2 * time.Second

// exitWait is how long the wire's reader, at the end of a child's output,
// waits for the child's exit status to report it as the wire's cause.
const exitWait = time.Second

// ConnectCmd starts cmd and makes a wire over its standard input and
// output: a host and a module program (a plugin) in any language that
// speaks the protocol over stdio. cmd's Stdin and Stdout must be nil (the
// wire takes them); a nil Stderr is the host's, so the module's logs pass
// through. The module should serve its wire on its stdio (ConnectStdio, or
// package guest) and exit when the wire ends.
//
// When the process exits, the wire ends with a cause matching
// ErrProcessExited that gives its exit status (every call pending on the
// wire fails with it). When the wire ends first (Close sends the module a
// Termination message; or the module's output is malformed), the process
// has ProcessGrace to exit, then is killed. Close returns once the process
// has exited. A module whose host dies without a word reads the end of its
// input, and its wire ends: no process is left behind.
func (i *Interface) ConnectCmd(cmd *exec.Cmd, opts ...Option) (*Wire, error) {
	if cmd.Stdin != nil || cmd.Stdout != nil {
		return nil, errors.New("ipfi: ConnectCmd: cmd.Stdin and cmd.Stdout must be nil (the wire takes them)")
	}
	// Pipes of our own, not cmd's StdinPipe and StdoutPipe: cmd.Wait
	// would close those under the wire's reader. os.Pipe's ends are
	// pollable, so closing them ends a blocked Read or Write at once.
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	err = cmd.Start()
	inR.Close() // the child's ends: the child has them now
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	i.procs.Add(2)
	go func() {
		defer i.procs.Done()
		p.wait()
	}()
	w, err := i.connect(&exitReader{r: outR, p: p}, inW, closers{outR, inW}, opts)
	if err != nil {
		outR.Close()
		inW.Close()
		_ = cmd.Process.Kill()
		<-p.exited
		i.procs.Done() // no watcher
		return nil, err
	}
	w.after = make(chan struct{})
	go func() {
		defer i.procs.Done()
		p.watch(w)
	}()
	return w, nil
}

// process is a child process that a wire talks to.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait has returned
	cause  error         // how it exited, matching ErrProcessExited; set before exited closes
}

// wait waits for the process to exit and records how.
func (p *process) wait() {
	err := p.cmd.Wait()
	if err == nil {
		err = errors.New("exit status 0")
	}
	p.cause = fmt.Errorf("%w: %v", ErrProcessExited, err)
	close(p.exited)
}

// watch ends w when the process exits, and the process when w ends (after
// ProcessGrace); it closes w.after once the process has exited.
func (p *process) watch(w *Wire) {
	defer close(w.after)
	select {
	case <-p.exited:
		w.w.Abort(p.cause)
		return
	case <-w.Done():
	}
	t := time.NewTimer(ProcessGrace)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// exitReader is a child's output: at its end it reports how the child
// exited (waiting at most exitWait for it), so that the wire's cause is
// the exit status rather than a bare end of stream.
type exitReader struct {
	r io.Reader
	p *process
}

// RemoteAddr names the child: the wire's peer address.
func (e *exitReader) RemoteAddr() net.Addr { return processAddr{e.p.cmd} }

// processAddr is the address of a child process: its program and pid.
type processAddr struct{ cmd *exec.Cmd }

func (processAddr) Network() string { return "exec" }

func (a processAddr) String() string {
	return fmt.Sprintf("%s[%d]", filepath.Base(a.cmd.Path), a.cmd.Process.Pid)
}

func (e *exitReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err == io.EOF {
		t := time.NewTimer(exitWait)
		defer t.Stop()
		select {
		case <-e.p.exited:
			return n, e.p.cause
		case <-t.C:
		}
	}
	return n, err
}

// Push is the program's side of a wire in push mode (ConnectPush): for a
// transport that calls back when bytes arrive (a serial port's event, a
// JavaScript callback, a radio) instead of being read. No goroutine of the
// library waits on it.
type Push struct{ w *Wire }

// Feed hands the wire bytes that arrived from the peer. It parses them and
// dispatches what they hold before it returns, on the caller's goroutine
// (the wire's quick procedures run on it, as they would on a reader); b
// may be reused afterwards. While the wire holds more output than it may
// for the peer (Limits.MaxWriteQueue: the transport is not taking it),
// Feed waits until that drains or the wire ends, as a reader would stop
// reading. It returns a *WireError once the wire has ended. Feed and End
// must not be called concurrently.
func (p *Push) Feed(b []byte) error { return p.w.w.Feed(b) }

// End tells the wire that the peer's bytes have ended, after what was fed
// before. With nil it is a half-close, as the end of a read stream is: the
// calls this side made fail at once with ErrPeerClosed, the peer's calls
// run to their answers, which are sent (for at most the close grace), and
// then the wire ends with cause ErrPeerClosed (see "Lifecycle" in the
// package documentation). With an error the wire ends with err as its
// cause at once, as a failed read ends it; that is how a wire's cause can
// be io.EOF (End(io.EOF)), which the library never makes one.
func (p *Push) End(err error) { p.w.w.EndInput(err) }

// ConnectPush makes a wire in push mode: the program hands it the peer's
// bytes as they arrive (Push.Feed, Push.End), and it gives the program
// its output by calling send, from whichever goroutine is writing, one
// call at a time, with the bytes to send in order (send must not keep b
// after it returns; an error from send ends the wire). send may block
// until the transport takes the bytes: the wire's writer waits (other
// callers queue up to Limits.MaxWriteQueue), and a send that takes longer
// than Timeouts.Write ends the wire. Close ends the wire; nothing is
// closed on the program's side, which learns of the end from Wire.Done.
func (i *Interface) ConnectPush(send func(b []byte) error, opts ...Option) (*Wire, *Push, error) {
	opts = append(opts[:len(opts):len(opts)], wireOption("ConnectPush", func(c *wireConfig) { c.push = true }))
	w, err := i.connect(nil, sendWriter(send), nil, opts)
	if err != nil {
		return nil, nil, err
	}
	return w, &Push{w: w}, nil
}

// sendWriter is a send callback as the io.Writer the wire writes to.
type sendWriter func([]byte) error

func (s sendWriter) Write(b []byte) (int, error) {
	if err := s(b); err != nil {
		return 0, err
	}
	return len(b), nil
}
