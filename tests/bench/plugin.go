// Scenario plugin_unary: a host calling its plugin, a child process, over
// the child's stdio, with the small call ("John", "Doe") -> "John Doe". The
// plugin is this binary again, with pluginEnv naming the system it serves
// (pluginMain); the host is the round's child, which starts the plugin when
// the scenario comes (pluginOp) and stops it, waiting for it to exit, when
// the scenario is measured. System ipfi connects with ConnectCmd and the
// plugin serves its stdio with ConnectStdio, Concat registered as a Quick
// procedure (ipfi_goroutine: an ordinary one); netrpc is net/rpc (gob) over
// the same two pipes; goplugin is hashicorp/go-plugin with its default
// protocol, gRPC over a Unix socket that the plugin announces on its
// standard output (sys_goplugin.go). The other systems take no part. The
// figures' CPU time is the host's only: the plugin's process is not
// counted.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/rpc"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/ipfi-go/ipfi"
)

// pluginEnv, set to a system's name, makes this binary run as that
// system's plugin (pluginMain).
const pluginEnv = "IPFI_BENCH_PLUGIN"

// pluginMain runs the plugin of the named system on this process's stdio
// until its host lets it go, and returns the process's exit code.
func pluginMain(system string) int {
	var err error
	switch system {
	case "ipfi", "ipfi_goroutine":
		err = serveIPFIPlugin(system == "ipfi")
	case "netrpc":
		err = serveNetRPCPlugin()
	case "goplugin":
		return serveGoPlugin()
	default:
		err = fmt.Errorf("no plugin for system %q", system)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench plugin %s: %v\n", system, err)
		return 1
	}
	return 0
}

// pluginOp starts the plugin of the named system and returns the small call
// to it and stop, which stops the plugin and waits for its process to exit.
// For a system without a plugin, op is nil (stop does nothing).
func pluginOp(ctx context.Context, system string) (op func(context.Context) error, stop func() error, err error) {
	start := map[string]func(*exec.Cmd) (func(context.Context) error, func() error, error){
		"ipfi":           startIPFIPluginHost,
		"ipfi_goroutine": startIPFIPluginHost,
		"netrpc":         startNetRPCPluginHost,
		"goplugin":       startGoPluginHost,
	}[system]
	if start == nil {
		return nil, func() error { return nil }, nil
	}
	cmd, err := pluginCmd(ctx, system)
	if err != nil {
		return nil, nil, err
	}
	op, stopHost, err := start(cmd)
	if err != nil {
		return nil, nil, fmt.Errorf("starting the plugin: %w", err)
	}
	return op, func() error { return errors.Join(stopHost(), exitStatus(cmd)) }, nil
}

// pluginCmd returns the command of the named system's plugin: this binary
// with pluginEnv set (and not childEnv), killed when ctx ends or when this
// process dies.
func pluginCmd(ctx context.Context, system string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, childEnv+"=") && !strings.HasPrefix(kv, pluginEnv+"=") && !strings.HasPrefix(kv, "GORACE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// Under -race, a plugin would sleep a second before it exits.
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(cmd.Env, pluginEnv+"="+system, "GORACE="+gorace)
	return cmd, nil
}

// exitStatus reports a plugin that did not exit cleanly; cmd has been
// waited for.
func exitStatus(cmd *exec.Cmd) error {
	if st := cmd.ProcessState; st != nil && !st.Success() {
		return fmt.Errorf("the plugin exited with %v", st)
	}
	return nil
}

// serveIPFIPlugin serves the ipfi server's procedures (Quick ones with
// quick) on this process's stdio until the host closes the wire or goes
// away.
func serveIPFIPlugin(quick bool) error {
	srv, err := newIPFIServer(quick)
	if err != nil {
		return err
	}
	w, err := srv.ConnectStdio()
	if err != nil {
		return errors.Join(err, srv.Close())
	}
	<-w.Done()
	return srv.Close()
}

// startIPFIPluginHost starts the plugin, cmd, with ConnectCmd.
func startIPFIPluginHost(cmd *exec.Cmd) (op func(context.Context) error, stop func() error, err error) {
	cli, err := ipfi.New()
	if err != nil {
		return nil, nil, err
	}
	w, err := cli.ConnectCmd(cmd)
	if err != nil {
		return nil, nil, errors.Join(err, cli.Close())
	}
	op = func(ctx context.Context) error {
		got, err := ipfi.Call[string](ctx, w, procConcat, firstName, lastName)
		if err != nil {
			return err
		}
		return checkName(got)
	}
	// Close sends the plugin a Termination message and returns once its
	// process has exited.
	return op, func() error { return errors.Join(w.Close(), cli.Close()) }, nil
}

// serveNetRPCPlugin serves the net/rpc service on this process's stdio
// until the host closes the plugin's standard input.
func serveNetRPCPlugin() error {
	rs := rpc.NewServer()
	if err := rs.RegisterName("Bench", netrpcService{}); err != nil {
		return err
	}
	rs.ServeConn(stdio{os.Stdin, os.Stdout})
	return nil
}

// stdio is this process's standard input and output as one connection;
// closing it closes neither.
type stdio struct {
	io.Reader
	io.Writer
}

func (stdio) Close() error { return nil }

// startNetRPCPluginHost starts the plugin, cmd, with a net/rpc client over
// its standard input and output.
func startNetRPCPluginHost(cmd *exec.Cmd) (op func(context.Context) error, stop func() error, err error) {
	// os.Pipe's ends rather than cmd's StdinPipe and StdoutPipe, which
	// cmd.Wait would close under the client's reader.
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, nil, errors.Join(err, inR.Close(), inW.Close())
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	err = cmd.Start()
	inR.Close() // the plugin's ends: it has them now
	outW.Close()
	if err != nil {
		return nil, nil, errors.Join(err, inW.Close(), outR.Close())
	}
	out := &endReader{r: outR, ended: make(chan struct{})}
	cli := rpc.NewClient(pluginConn{Reader: out, WriteCloser: inW})
	stop = func() error {
		err := cli.Close() // closes inW: the plugin reads the end of its input and exits
		err = errors.Join(err, cmd.Wait())
		outR.Close() // the plugin's output has ended; this ends a read if it has not
		<-out.ended  // the client's reader has stopped
		return err
	}
	return func(context.Context) error { return concatRPC(cli) }, stop, nil
}

// pluginConn is the host's side of a plugin's stdio: reads come from its
// standard output, writes go to its standard input, which Close closes.
type pluginConn struct {
	io.Reader
	io.WriteCloser
}

// endReader is a reader whose ended closes when a Read first fails: a
// reading loop that stops at its first error has stopped.
type endReader struct {
	r     io.Reader
	once  sync.Once
	ended chan struct{}
}

func (e *endReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil {
		e.once.Do(func() { close(e.ended) })
	}
	return n, err
}
