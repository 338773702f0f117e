package ipfi

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ipfi-go/ipfi/actors"
	"github.com/ipfi-go/ipfi/codec"
	"github.com/ipfi-go/ipfi/internal/bufpool"
	"github.com/ipfi-go/ipfi/procedures"
)

// Wire is one connection to another program. Either side may call the
// other's procedures over it, concurrently and in any number. Its methods are
// safe for concurrent use.
//
// A nil *Wire (what WireFrom returns outside a procedure) is a wire that
// never was: its calls, Close, Shutdown, Ping and SendEndOfInput return
// ErrNoWire, Err returns ErrNoWire, Done returns a closed channel,
// EndOfInput a channel that never receives, and the rest zero values;
// nothing panics.
type Wire struct {
	w      *actors.Conn
	id     uint64
	remote net.Addr               // the peer's address, if the transport has one
	label  atomic.Pointer[string] // set by the program (SetLabel)
	client *clientChains          // the interface's Client and ClientStream interceptors; nil: none
	tls    *wireTLS               // the TLS connection under the wire, nil without
	// after, if not nil, is closed once what the wire's transport needs
	// after the wire ends has finished (a child process waited for);
	// Close waits for it.
	after chan struct{}
}

// ID returns the wire's number, unique in its interface (1 for the first
// wire, and counting); logs about the wire name it.
func (w *Wire) ID() uint64 {
	if w == nil {
		return 0
	}
	return w.id
}

// RemoteAddr returns the peer's address: the connection's for a socket
// transport (a net.Conn, Dial, Serve), an "exec" address naming the
// program and its process id for ConnectCmd, nil for other transports.
func (w *Wire) RemoteAddr() net.Addr {
	if w == nil {
		return nil
	}
	return w.remote
}

// TLS returns the state of the TLS connection the wire runs over: the
// peer's certificates (PeerCertificates, leaf first; VerifiedChains if
// they were verified: a client's always, unless InsecureSkipVerify, a
// server's when its tls.Config.ClientAuth verifies client certificates),
// the version, cipher suite and negotiated protocol. A procedure reads it
// with WireFrom(ctx).TLS(), an interceptor with info.Wire.TLS(). It is nil
// for a wire without TLS (Dial and Serve without WithTLS, Connect over a
// transport without a ConnectionState method: see Connect), and for a wire
// made by Connect over a *tls.Conn whose handshake has not finished, until
// it has (it has once anything, a call included, has arrived over it). The state is shared:
// do not modify it. Safe for concurrent use.
func (w *Wire) TLS() *tls.ConnectionState {
	if w == nil || w.tls == nil {
		return nil
	}
	return w.tls.state()
}

// SetLabel attaches a label of the program's to the wire (a user name once
// authenticated, a module's name), for String and its logs.
func (w *Wire) SetLabel(label string) {
	if w != nil {
		w.label.Store(&label)
	}
}

// Label returns what SetLabel set, or "".
func (w *Wire) Label() string {
	if w == nil {
		return ""
	}
	if l := w.label.Load(); l != nil {
		return *l
	}
	return ""
}

// String returns "wire N", with the label and the peer's address when
// there are.
func (w *Wire) String() string {
	if w == nil {
		return "wire <nil>"
	}
	return "wire " + w.logName()
}

// logName names the wire in the logs of its end: its ID, label and peer's
// address. Made only when a log needs it: a wire is made per connection.
func (w *Wire) logName() string {
	s := strconv.FormatUint(w.id, 10)
	if l := w.Label(); l != "" {
		s += " (" + l + ")"
	}
	if w.remote != nil {
		s += " " + w.remote.String()
	}
	return s
}

// WireFrom returns the wire a procedure's call came in on (so that the
// procedure can call back its caller), or nil if ctx is not a procedure's;
// calls on a nil *Wire return ErrNoWire.
func WireFrom(ctx context.Context) *Wire {
	if aw := actors.FromContext(ctx); aw != nil {
		if w, ok := aw.Owner().(*Wire); ok {
			return w
		}
	}
	return nil
}

// Call calls procedure proc of the peer with args, MessagePack-encoded one
// after another as the Rust crate expects (structs as arrays, integers in
// their smallest form; use codec.ByteArray for a Rust Vec<u8>; a Raw as it
// is), waits for the response and decodes it into reply (a pointer; nil
// discards it; a *Raw takes it as it came). A response streamed in several
// chunks is an error matching ErrStreamed.
//
// Call blocks until the response arrives, ctx is done (it then returns
// ctx's cause and cancels the call: a peer that speaks the extensions has
// its procedure's context cancelled), or the wire ends (a *WireError,
// matching ErrWireTerminated). A failed call returns an error matching
// ErrRemote: a *RemoteError with the peer's code and message from a peer
// with the extensions, or plain ErrRemote for the empty response of one
// without.
func (w *Wire) Call(ctx context.Context, proc procedures.Index, reply any, args ...any) error {
	if w != nil && w.unaryIntercepted() {
		// A copy for the closure: args itself must not escape, or every
		// call's variadic slice would be allocated.
		a := append([]any(nil), args...)
		return w.intercepted(ctx, proc, func(ctx context.Context) error { return w.call(ctx, proc, reply, a) })
	}
	return w.call(ctx, proc, reply, args)
}

// call is Call without the client interceptors.
func (w *Wire) call(ctx context.Context, proc procedures.Index, reply any, args []any) error {
	p, err := w.start(ctx, proc, args)
	if err != nil {
		return err
	}
	chunks, err := p.Wait(ctx)
	if err != nil {
		if ctx.Err() != nil {
			p.Cancel()
		}
		return err
	}
	return decodeReply(proc, chunks, reply)
}

// start encodes args into a pooled buffer and sends the call: once Start
// returns the writer has written or copied the payload, so the buffer goes
// back at once.
func (w *Wire) start(ctx context.Context, proc procedures.Index, args []any) (*actors.Call, error) {
	if w == nil {
		return nil, ErrNoWire
	}
	if len(args) == 1 {
		if r, ok := args[0].(Raw); ok {
			return w.w.Start(ctx, uint64(proc), r) // written or copied before it returns
		}
	}
	first := bufpool.Get()
	payload, err := appendArgs(first, args)
	bufpool.PutMoved(first, payload) // large arguments grew into a buffer of their size
	if err != nil {
		return nil, inProcedure(proc, err)
	}
	p, err := w.w.Start(ctx, uint64(proc), payload)
	bufpool.Put(payload)
	return p, err
}

// single returns the one chunk of a plain call's response, or ErrStreamed
// (a streamedError, which says how to read a stream).
func single(proc procedures.Index, chunks [][]byte) ([]byte, error) {
	if len(chunks) != 1 {
		return nil, &streamedError{proc: proc, chunks: len(chunks)}
	}
	return chunks[0], nil
}

// decodeReply decodes a plain call's response.
func decodeReply(proc procedures.Index, chunks [][]byte, reply any) error {
	b, err := single(proc, chunks)
	if err != nil {
		return err
	}
	if r, ok := reply.(*Raw); ok {
		*r = b // as it came, empty included
		return nil
	}
	if len(b) == 0 {
		return fmt.Errorf("%w (procedure %d)", ErrRemote, proc)
	}
	if reply == nil {
		return nil
	}
	// The chunk is the caller's alone: a large []byte reply may alias it.
	if err := codec.UnmarshalNoCopy(b, reply); err != nil {
		return fmt.Errorf("%w of procedure %d: %w", ErrDecode, proc, unprefixed(err))
	}
	return nil
}

// Raw is MessagePack as it travels. An argument of type Raw (to Call,
// Wire.Call, Wire.Start, Wire.Stream, Stream.Send) is sent as it is, not
// encoded: MessagePack values concatenated, for a peer of this protocol.
// A reply or stream value read into a *Raw (Wire.Call, Pending.Wait,
// Stream.Recv, Call[Raw], Iter[Raw]) is the payload as it came, not
// decoded, an empty one included (how a peer without the extensions
// reports a failure: nothing else returns it). So
//
//	out, err := ipfi.Call[ipfi.Raw](ctx, w, proc, ipfi.Raw(payload))
//
// calls proc with payload and returns its response as it came, and the
// raw form of a stream call,
//
//	for v, err := range ipfi.Iter[ipfi.Raw](ctx, w, proc, ipfi.Raw(payload)) { ... }
//
// calls a sequence procedure with payload and gives each value as it came.
type Raw []byte

// appendArgs is codec.AppendArgs with each Raw argument appended as it
// is. Its error names the argument that cannot be encoded, and matches
// codec.ErrEncode; the caller names the procedure (inProcedure).
func appendArgs(dst []byte, args []any) ([]byte, error) {
	raw := false
	for _, a := range args {
		if _, ok := a.(Raw); ok {
			raw = true
			break
		}
	}
	if !raw {
		out, err := codec.AppendArgs(dst, args...)
		if err != nil {
			return out, badArgs(err)
		}
		return out, nil
	}
	n := len(dst)
	var err error
	for i, a := range args {
		if r, ok := a.(Raw); ok {
			dst = append(dst, r...)
			continue
		}
		if dst, err = codec.Append(dst, a); err != nil {
			return dst[:n], badArg(i, len(args), err)
		}
	}
	return dst, nil
}

// Pending is a call in flight, started with Wire.Start.
type Pending struct {
	w    *Wire
	proc procedures.Index
	p    *actors.Call
}

// Start sends a call like Call but does not wait for the response: the
// caller collects it later with Pending.Wait, from any goroutine. A call
// costs no goroutine while it is open.
func (w *Wire) Start(ctx context.Context, proc procedures.Index, args ...any) (*Pending, error) {
	p, err := w.start(ctx, proc, args)
	if err != nil {
		return nil, err
	}
	return &Pending{w: w, proc: proc, p: p}, nil
}

// Done returns a channel closed once the response has arrived or the call
// has failed with its wire.
func (p *Pending) Done() <-chan struct{} { return p.p.Done() }

// Wait waits for the response as Call does and decodes it into reply (a
// pointer; nil discards it). If ctx ends first Wait returns its cause and
// the call stays open: Wait may be called again.
func (p *Pending) Wait(ctx context.Context, reply any) error {
	chunks, err := p.p.Wait(ctx)
	if err != nil {
		return err
	}
	return decodeReply(p.proc, chunks, reply)
}

// Cancel abandons the call: a peer that speaks the extensions has its
// procedure's context cancelled; a later Wait returns an error. It does
// nothing once the response has arrived.
func (p *Pending) Cancel() { p.p.Cancel() }

// Call is Wire.Call with the result type as a type parameter, through any
// Caller (a *Wire, a *Supervised, ...):
//
//	greeting, err := ipfi.Call[string](ctx, w, 1, "John", "Doe")
//
// A procedure descriptor (Proc2 and the others) checks the argument and
// result types at compile time instead.
func Call[T any](ctx context.Context, c Caller, proc procedures.Index, args ...any) (T, error) {
	var out T
	err := callOn(ctx, c, proc, &out, args)
	return out, err
}

// SendEndOfInput tells the peer that this side has written everything it
// has for now: End of input ("over" in the protocol, a message every IPFI
// peer knows, the Rust crate's too), written after everything written
// before it. A host that has sent a batch of calls to a module that reads
// its input in one go says so with it; the peer sees it on EndOfInput.
// The wire stays up, and more may follow. It fails with a WireError if
// the wire has ended, or with ctx's cause if ctx ends while the wire's
// writer is full.
func (w *Wire) SendEndOfInput(ctx context.Context) error {
	if w == nil {
		return ErrNoWire
	}
	return w.w.SendEndOfInput(ctx)
}

// EndOfInput returns a channel that receives a value each time the peer
// sends End of input (SendEndOfInput on its side): the end of a batch.
// By then every call the peer sent before it has begun on this side, so a
// module-style program answers its batch and leaves with
//
//	<-w.EndOfInput()
//	err := w.Shutdown(ctx) // waits for the calls open both ways, then closes
//
// The channel has a buffer of one: signals that arrive while one is
// waiting merge. It is never closed (select on Done too).
func (w *Wire) EndOfInput() <-chan struct{} {
	if w == nil {
		return nil
	}
	return w.w.EndOfInput()
}

// Ping sends the peer a ping and waits for its pong: the round trip time,
// or ErrNoExtensions for a peer without the extensions. On a fresh wire it
// first waits for the peer's first bytes, which say whether it has them.
func (w *Wire) Ping(ctx context.Context) (time.Duration, error) {
	if w == nil {
		return 0, ErrNoWire
	}
	return w.w.Ping(ctx)
}

// PeerExtensions reports whether the peer has announced this project's
// extensions (error codes, cancel, flow control, ping). A peer announces
// first thing, so this is settled once anything has arrived from it.
func (w *Wire) PeerExtensions() bool { return w != nil && w.w.PeerExtensions() }

// Close sends the peer a Termination message (waiting at most the close
// grace for it to be written), ends the wire (every call pending on it
// fails with ErrWireTerminated, cause ErrClosed; every procedure running
// for it has its context cancelled) and returns once every goroutine of
// the wire has ended: its reader, its writer's, and the procedures running
// for it, at most Timeouts.Stop for procedures that ignore their contexts
// (then it returns an error matching ErrStopTimeout and leaves them). So a
// procedure must not call Close on its own wire (it would wait for itself);
// it may close it from a goroutine of its own. A wire whose transport's
// Read cannot be interrupted by closing it keeps Close waiting until Read
// returns. Close is idempotent and safe to call concurrently.
func (w *Wire) Close() error {
	if w == nil {
		return ErrNoWire
	}
	err := w.w.Close()
	if w.after != nil {
		<-w.after
	}
	return err
}

// Shutdown closes the wire gracefully: it stops taking new calls from the
// peer (a peer of this library is told, and its new calls fail at once
// with ErrShutdown; a call that arrives anyway is refused without running,
// with an error matching ErrShutdown), lets the calls open on it, both
// ways, finish, then closes it (Close). If ctx ends first, it closes all
// the same and returns ctx's cause; else what Close returns.
//
// A call refused with ErrShutdown did not run, so the peer may make it
// again: on another wire, or later with a backoff between attempts, on a
// new wire once this side is back (Supervise redials with one). Retrying
// in a tight loop only spins: every attempt on the wire fails at once
// until it ends.
func (w *Wire) Shutdown(ctx context.Context) error {
	if w == nil {
		return ErrNoWire
	}
	err := w.w.Shutdown(ctx)
	if w.after != nil {
		<-w.after
	}
	return err
}

// Done returns a channel that is closed once the wire has ended and every
// call pending on it has failed (at once for a nil *Wire).
func (w *Wire) Done() <-chan struct{} {
	if w == nil {
		return closedChan
	}
	return w.w.Done()
}

// closedChan is the Done channel of a nil *Wire.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Err returns nil while the wire is up, then why it ended (the Cause of
// the *WireError its calls fail with): ErrClosed, ErrPeerTerminated,
// ErrPeerClosed (end of stream without a Termination message), a timeout's
// error, ErrProcessExited, a read or write error, a protocol error matching
// wire.ErrMalformed, or what the program gave Push.End. The library never
// makes it io.EOF (only Push.End(io.EOF) does). For a nil *Wire it is
// ErrNoWire.
func (w *Wire) Err() error {
	if w == nil {
		return ErrNoWire
	}
	return w.w.Err()
}
