// Package ipfi lets programs call each other's procedures over any ordered
// byte stream: a TCP or Unix socket, a child process's stdio, an in-memory
// pipe, a serial line, even a stream that delivers one byte at a time. It is
// a Go implementation of IPFI, byte-compatible with the Rust crate ipfi
// (0.1.0-rc.2): arguments and results are MessagePack.
//
// A program makes an Interface and registers procedures on it by integer
// index. Each connection to another program is a Wire; one interface serves
// any number of wires, and both sides of a wire may call each other at the
// same time, even from inside a procedure handling a call from that wire:
//
//	alice := ipfi.New()
//	alice.Register(1, procedures.Func2(func(ctx context.Context, first, last string) (string, error) {
//		return "Hello, " + first + " " + last + "!", nil
//	}))
//	go alice.Serve(ctx, listener)
//
//	bob := ipfi.New()
//	w, err := bob.Dial(ctx, "tcp", addr)
//	greeting, err := ipfi.Call[string](ctx, w, 1, "John", "Doe") // "Hello, John Doe!"
//
// # Lifecycle
//
// When a wire ends, for whatever reason (the peer's Termination message, end
// of stream, a read or write error, a malformed frame, Close), every call
// waiting on it returns an error matching ErrWireTerminated that wraps the
// cause, every procedure running for it has its context cancelled, and
// nothing of it remains. Interface.Close ends every wire and returns once
// every goroutine the interface started has returned.
//
// A procedure that returns an error or panics fails only its own call. To a
// peer without this library's extensions, such as the Rust crate, a failed
// call is answered with an empty response, and Call reports ErrRemote.
//
// # Inside
//
// Each interface is an actor system (protoactor-go): an interface root
// supervising one actor per wire, which supervises a byte-reader, a parser
// and one actor per call; see package actors. Packages wire (frames), codec
// (MessagePack as the Rust crate writes it), procedures (registry and typed
// registration) and supervision (strategies) hold the pieces. Importing the
// library prints nothing and starts nothing.
package ipfi
