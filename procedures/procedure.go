package procedures

import (
	"context"
	"fmt"

	"github.com/ipfi-go/ipfi/internal/bufpool"
)

// Procedure is a function an interface offers its peers, registered at an
// index of a Registry: it serves the calls a peer makes to that index. Its
// Kind says how it is run:
//
//   - unary (Raw, Func0 to Func6): run with Invoke on a call's complete
//     arguments, it answers one value;
//   - sequence (Sequence0 to Sequence2): run with Stream on a call's
//     complete arguments, it answers any number of values, one per chunk;
//   - raw stream (RawStream): run with StreamRaw on a call's complete
//     arguments, it sends its response in messages whose terminators it
//     chooses;
//   - bidirectional (Bidi, RawBidi): run with RunBidi as soon as its call
//     starts, it reads the caller's values as they arrive while it answers
//     values one per chunk.
//
// It is an immutable value; the zero Procedure is invalid (its Kind is
// KindInvalid), and so is what every constructor returns for a nil function.
type Procedure struct {
	invoke func(ctx context.Context, args []byte) ([]byte, error)
	// stream is set instead of invoke for a sequence procedure.
	stream func(ctx context.Context, args []byte, emit func(payload []byte) error) error
	// raw is set instead for a raw streaming procedure.
	raw func(ctx context.Context, args []byte, send Sender) error
	// bidi is set instead for a procedure whose arguments stream in.
	bidi  func(ctx context.Context, in Input, emit func(payload []byte) error) error
	arity int
	// index is where a Registry holds the procedure (indexed): Lookup's
	// copy knows it, to name it in the errors of its results.
	index Index
	quick bool // see Quick
	// pooled: invoke's results are encoded into pooled buffers (typed
	// procedures), which Release takes back.
	pooled  bool
	indexed bool
}

// Release gives back a payload that Invoke returned, once the caller is done
// with it (it has been written or copied): a typed procedure encodes its
// next result into the same memory. It does nothing for a Raw procedure,
// whose function owns what it returns. Calling it is optional; using payload
// afterwards is a bug.
func (p Procedure) Release(payload []byte) {
	if p.pooled {
		bufpool.Put(payload)
	}
}

// Quick marks a unary procedure (Raw, Func0 to Func6) as one that returns
// promptly without blocking: the wire then runs it on its reader goroutine,
// inside the call's actor, instead of on a goroutine of its own, and its
// answer joins the answers to the other calls read in the same chunk in one
// write. That saves a goroutine hand-off per call and batches answers under
// load.
//
// The price is that while a quick procedure runs, its wire reads nothing:
// a quick procedure must not block (on I/O, locks held for long, channels,
// sleeps) and must not call the peer over the same wire and wait for the
// answer (that deadlocks: the answer is read by the goroutine that waits).
// Its context is its wire's, done when the wire ends: nothing can cancel
// a quick call while it runs, since the goroutine that would read the
// caller's cancel is running it. Use it for computations like the ones in
// the examples, lookups in memory, and the like.
//
// Quick panics if p is not a unary procedure.
func Quick(p Procedure) Procedure {
	if p.invoke == nil {
		panic("procedures: Quick applies to unary procedures (Raw, Func0 to Func6) only")
	}
	p.quick = true
	return p
}

// IsQuick reports whether p was marked with Quick.
func (p Procedure) IsQuick() bool { return p.quick }

// Invoke runs the procedure on one call's complete argument bytes (MessagePack
// values concatenated, no array header) and returns the response payload (one
// MessagePack value). It blocks for as long as the procedure's function runs
// and may be called from many goroutines at once. ctx is passed to the
// function as is.
//
// Errors from decoding the arguments wrap ErrBadArguments (and
// codec.ErrArgs); an error returned by the procedure's function is returned as
// it is; a result that cannot be encoded is ErrBadResult (naming the
// procedure's index if p came from Registry.Lookup); the zero Procedure
// returns ErrInvalid. Invoke does not recover panics: the caller does.
//
// The caller hands args over: a []byte argument of 4 KiB or more decoded
// by a typed procedure aliases it (codec.DecodeArgsNoCopy), and the function
// may keep it, so the caller must not modify or reuse args afterwards. The
// returned payload belongs to the caller (see Release).
func (p Procedure) Invoke(ctx context.Context, args []byte) ([]byte, error) {
	if p.invoke == nil {
		if p.valid() {
			return nil, fmt.Errorf("%w: a %s procedure is not run with Invoke", ErrInvalid, p.Kind())
		}
		return nil, ErrInvalid
	}
	out, err := p.invoke(ctx, args)
	if err != nil {
		p.named(err)
	}
	return out, err
}

// Arity returns the number of arguments the procedure takes: 0 to 6 for the
// typed constructors, -1 for Raw (any payload) and for the zero Procedure.
func (p Procedure) Arity() int {
	if !p.valid() {
		return -1
	}
	return p.arity
}

// valid reports whether p is not the zero Procedure.
func (p Procedure) valid() bool {
	return p.invoke != nil || p.stream != nil || p.raw != nil || p.bidi != nil
}

// Raw returns a procedure that hands fn the argument payload as it came and
// sends fn's result as the response payload as is: fn is responsible for it
// being one MessagePack value a Rust caller can read. The caller of Invoke
// hands args over (see Invoke): fn may keep it. Raw returns the zero
// Procedure if fn is nil.
func Raw(fn func(ctx context.Context, args []byte) ([]byte, error)) Procedure {
	if fn == nil {
		return Procedure{}
	}
	return Procedure{invoke: fn, arity: -1}
}
