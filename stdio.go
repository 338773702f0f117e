package ipfi

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
// The wire ends when the host closes it (a Termination message: Err is
// ErrPeerTerminated) or exits (the end of the input, after the calls read
// before it are answered: ErrPeerClosed); the program should then exit.
// A module that serves its host until then:
//
//	w, err := iface.ConnectStdio()
//	if err != nil { ... }
//	select {
//	case <-w.Done(): // the host closed the wire or went away: w.Err() says which
//	case <-ctx.Done():
//	}
//	iface.Close()
//
// One that serves batches ended by End of input waits on w.EndOfInput()
// too, and answers the batch and leaves with w.Shutdown(ctx).
func (i *Interface) ConnectStdio(opts ...Option) (*Wire, error) {
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
