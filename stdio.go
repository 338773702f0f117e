package ipfi

import "context"

// ConnectStdio makes a wire over the process's own standard input and
// output: the module side of ConnectCmd, for a program that a host runs.
// It takes both over:
//
//   - standard input is read through a non-blocking duplicate of its
//     descriptor, so that closing the wire (Close, Shutdown, the
//     interface's Close) ends a read in progress at once, even while the
//     host keeps the pipe open (on Unix; elsewhere a read in progress ends
//     only when the host closes the pipe or writes);
//   - the wire writes to a duplicate of standard output's descriptor, and
//     descriptor 1 is pointed at standard error (on Unix): a stray
//     fmt.Println, or a library that logs to os.Stdout, goes to the host's
//     log instead of into the wire, where it would break the framing or
//     be skipped silently as unknown bytes.
//
// On wasip1 (a WebAssembly module) standard input is made non-blocking
// instead, so that a read waiting for the host does not stop the module's
// other goroutines: the host must give the module an OS pipe as its
// standard input (with wazero, ModuleConfig.WithStdin of an os.Pipe's read
// end), else ConnectStdio fails saying so. There descriptors cannot be
// duplicated: the wire writes to standard output itself, so the module
// must print nothing there (standard error is free), and closing the wire
// closes standard input. A module that only serves its host can use the
// lighter package guest instead. See examples/wasm.
//
// Call it once per process; nothing else should read os.Stdin afterwards.
// The wire ends when the host closes it (a Termination message) or exits
// (the end of the input); the program should then exit (see ServeStdio).
func (i *Interface) ConnectStdio(opts ...WireOption) (*Wire, error) {
	in, out, err := takeStdio()
	if err != nil {
		return nil, err
	}
	w, err := i.connect(in, out, closers{in, out}, opts)
	if err != nil {
		in.Close()
		out.Close()
		return nil, err
	}
	return w, nil
}

// ServeStdio serves the interface's procedures to the host on the
// process's stdio (ConnectStdio) until the host closes the wire or exits,
// or ctx is done (the wire is then closed), and closes the interface. It
// returns the wire's cause: ErrPeerTerminated when the host closed it,
// ErrPeerClosed when the host went away (after answering the calls read
// before), ctx's cause when ctx ended. A module that serves batches ended
// by End of input uses ConnectStdio and Wire.EndOfInput instead:
//
//	w, err := iface.ConnectStdio()
//	select {
//	case <-w.EndOfInput():
//		err = w.Shutdown(ctx) // answers the batch, then closes the wire
//	case <-w.Done():
//	}
func (i *Interface) ServeStdio(ctx context.Context, opts ...WireOption) error {
	w, err := i.ConnectStdio(opts...)
	if err != nil {
		return err
	}
	select {
	case <-w.Done():
	case <-ctx.Done():
		_ = w.Close()
		_ = i.Close()
		return context.Cause(ctx)
	}
	cause := w.Err()
	_ = i.Close()
	return cause
}
