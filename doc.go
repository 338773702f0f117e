// Package ipfi lets programs call each other's procedures over any ordered
// byte stream: a TCP or Unix socket, a child process's stdio, an in-memory
// pipe, a serial line, even a stream that delivers one byte at a time. It is
// a Go implementation of IPFI, byte-compatible with the Rust crate ipfi
// (0.1.0-rc.2): arguments and results are MessagePack.
//
// A program makes an Interface and registers procedures on it by integer
// index. Each connection to another program is a Wire; one interface serves
// any number of wires, and both sides of a wire may call each other at the
// same time, even from inside a procedure handling a call from that wire
// (WireFrom gives a procedure its caller's wire).
//
// Dial and Serve speak TLS when given WithTLS; Wire.TLS gives procedures
// (through WireFrom) and interceptors the peer's verified certificates.
//
// # Procedures and calls
//
// A procedure is best declared once, as a descriptor in a package both
// programs import: the server registers it through the descriptor and the
// client calls it through the same one, so that the two cannot disagree on
// its index or types without failing to compile:
//
//	var Hello = ipfi.Proc2[string, string, string]{Index: 1}
//
//	err := Hello.Register(server, func(ctx context.Context, first, last string) (string, error) {
//		return "Hello, " + first + " " + last + "!", nil
//	})
//	greeting, err := Hello.Call(ctx, w, "John", "Doe") // "Hello, John Doe!"
//
// Proc0..Proc6 describe unary procedures, SeqProc0..SeqProc2 sequences and
// BidiProc bidirectional ones. They call through a Caller: a *Wire, a
// *Supervised, or a handle of the program's own. The untyped forms do the
// same by index, with the procedures package and Call, Iter, Collect,
// Wire.Call, Wire.Stream and Wire.Open; a peer may use either, or be the
// Rust crate.
//
// Each call a wire serves runs on a goroutine of its own;
// procedures.Quick runs a unary procedure that neither blocks nor calls
// back on the wire's reader instead (one goroutine hand-off less per call).
// A typed procedure's []byte argument of 4 KiB or more aliases the
// received payload instead of being copied, and so does a []byte reply or
// stream value of 4 KiB or more that a caller decodes. Wire.Start sends a
// call without waiting for its answer (no goroutine per open call); Raw
// passes MessagePack through as it is.
//
// A call's context reaches the procedure on the other side, between two
// peers of this library: its deadline becomes the procedure context's
// deadline, its cancellation cancels the procedure (cause ErrCancelled),
// and AppendMetadata attaches string pairs (at most 64 in 8 KiB) that the
// procedure reads with MetadataFrom.
//
// # Options
//
// Every option is a WithX function of one type, Option. New takes an
// interface's (WithLimits, WithTimeouts, WithLogger, WithInterceptors); the
// calls that make a wire take a wire's (WithPlain, WithCalleeOnly,
// WithAccepted, WithExclusiveConn, and for Dial and Serve WithTLS);
// Wire.Open and Wire.Stream a stream's (WithStreamWindow). Each is documented with its default; a zero value
// means the default, and a value New cannot use, such as a negative limit,
// or an option given where it does not apply, makes the call return an
// error matching ErrInvalidOption. Limits bounds everything a peer can make
// this process hold, Timeouts how long a wire waits on its peer; the
// repository's SECURITY.md tabulates both.
//
// # Errors
//
// Errors are tested with errors.Is and errors.As. A call that ends because
// its wire did returns a *WireError, matching ErrWireTerminated and wrapping
// the cause (see Lifecycle). A failed call returns an error matching
// ErrRemote: from a peer of this library a *RemoteError with a code and a
// message, which matches the *Error the procedure returned (same Code), and
// CodeUnknownProcedure and the other codes of the protocol. A call refused
// before it ran matches ErrShutdown (the callee is draining: try another
// wire, or later with backoff) or ErrLimit (over one of the callee's
// limits; the message names it). ErrDecode names a response that does not
// decode into the caller's type, ErrCancelled a call its caller cancelled.
//
// # Telemetry
//
// Interceptors (WithInterceptors) run around every call the interface
// serves and makes and are told of every wire made and ended: log, count,
// authorise, retry. Package ipfiotel is one that records OpenTelemetry
// metrics and traces, joined across the wire through the call's metadata.
// Interface.Snapshot lists the live wires and their open calls, which
// package ipfidebug serves over HTTP and to peers (ipfi tree).
//
// Beside this package: ipfiotel records metrics and traces, ipfidebug
// serves the live view, ipfitest joins two interfaces in memory and slows a
// transport to one byte at a time, and supervision holds the restart policy
// of Interface.Supervise.
//
// # Lifecycle
//
// When a wire ends, for whatever reason (the peer's Termination message, end
// of stream, a read or write error, a malformed frame, Close), every call
// waiting on it returns a *WireError: it matches ErrWireTerminated and wraps
// the cause (ErrPeerTerminated, ErrPeerClosed for end of stream, ...).
// Every procedure running for it has its context cancelled, and nothing of
// it remains. Interface.Close ends every wire and returns once every
// goroutine the interface started has returned.
//
// End of stream is a half-close: the peer may still be reading. The calls
// this side made fail at once (ErrPeerClosed), while the calls the peer
// made before its stream ended run to their answers, which are written,
// for at most the close grace (Timeouts.CloseGrace); then the wire ends. A
// program given a batch of calls and then the end of its input answers
// them all. A peer can also say "over" without ending its stream: see
// Wire.SendEndOfInput and Wire.EndOfInput.
//
// A procedure that returns an error or panics fails only its own call. To a
// peer without this library's extensions, such as the Rust crate, a failed
// call is answered with an empty response, and Call reports ErrRemote.
//
// # Streams
//
// A sequence procedure (procedures.Sequence0..2) yields values one by one;
// the caller reads them as an iterator, with Recv, or all at once:
//
//	for n, err := range ipfi.Iter[int](ctx, w, 3, 10) { ... }
//	all, err := ipfi.Collect[int](ctx, w, 3, 10)
//
// Wire.Open starts a call whose arguments are sent in pieces (Stream.Send,
// then CloseSend; the Rust crate's partial arguments) and whose response is
// read with Stream.Recv. A bidirectional procedure (procedures.Bidi) reads
// the values its caller sends while it streams values back; a raw stream
// (procedures.RawStream) chooses each message's terminator. Breaking out of
// an iterator, closing a stream or ending its context cancels the call.
//
// # Extensions
//
// Each wire announces this project's extensions with two bytes as it opens,
// one per version (a Rust peer skips them; WithPlain turns them off). Between
// two peers that both announced them, a failed call ends with a RemoteError
// carrying a code and a message (an application's own, with Error), a
// caller's cancel reaches the callee's procedure context (cause
// ErrCancelled) and so does its deadline, streams are flow-controlled with
// credits (a slow reader holds the producer back, in both directions: a
// response's window starts at 64 KiB and grows up to DefaultMaxStreamWindow
// while the reader keeps running dry, or is fixed with WithStreamWindow),
// Wire.Ping measures a round trip, keepalive pings find a frozen peer, and
// Shutdown tells the peer to make no new calls. Against a peer without
// them, streams run unbounded as the Rust crate's do and a cancel stays on
// this side. The layouts are in the wire package's PROTOCOL.md.
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
