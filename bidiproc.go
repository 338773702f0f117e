package ipfi

import (
	"context"
	"iter"

	"github.com/ipfi-go/ipfi/procedures"
)

// BidiProc describes a bidirectional procedure that reads values of type In
// from its caller while it sends values of type Out back
// (procedures.Bidi). Like Proc2, it is declared once where both programs
// see it:
//
//	var Upper = ipfi.BidiProc[string, string]{Index: 4}
//
//	err := Upper.Register(server, func(ctx context.Context, in iter.Seq2[string, error], yield func(string) error) error {
//		for s, err := range in {
//			if err != nil {
//				return err
//			}
//			if err := yield(strings.ToUpper(s)); err != nil {
//				return err
//			}
//		}
//		return nil
//	})
//
//	s, err := Upper.Open(ctx, w)
//	err = s.Send("hello")
//	up, err := s.Recv() // "HELLO"
type BidiProc[In, Out any] struct {
	Index procedures.Index
}

// Register registers fn on i as the procedure at p.Index.
func (p BidiProc[In, Out]) Register(i *Interface, fn func(ctx context.Context, in iter.Seq2[In, error], yield func(Out) error) error) error {
	return i.Register(p.Index, p.Procedure(fn))
}

// Procedure returns fn as the procedure p describes, to register another
// way.
func (p BidiProc[In, Out]) Procedure(fn func(ctx context.Context, in iter.Seq2[In, error], yield func(Out) error) error) procedures.Procedure {
	return procedures.Bidi(fn)
}

// Open starts a call of the procedure through caller, as Wire.Open does (opts
// are a stream's, such as WithStreamWindow), and returns the caller's end
// of it.
func (p BidiProc[In, Out]) Open(ctx context.Context, caller Caller, opts ...Option) (*BidiStream[In, Out], error) {
	s, err := openOn(ctx, caller, p.Index, opts...)
	if err != nil {
		return nil, err
	}
	return &BidiStream[In, Out]{s: s}, nil
}

// BidiStream is the caller's end of a call opened with BidiProc.Open: Send
// and CloseSend write the procedure's input, Recv and Values read what it
// sends back. It is a Stream with its types fixed, and the same rules
// hold: Send and CloseSend may be used from one goroutine while Recv is
// used from another, and it must be ended (read to io.EOF or an error, or
// closed).
type BidiStream[In, Out any] struct {
	s *Stream
}

// Send sends v to the procedure, as one value of its input.
func (b *BidiStream[In, Out]) Send(v In) error { return b.s.Send(v) }

// CloseSend ends the procedure's input, as Stream.CloseSend does.
func (b *BidiStream[In, Out]) CloseSend() error { return b.s.CloseSend() }

// CloseSendContext is CloseSend bounded by ctx as well, as
// Stream.CloseSendContext.
func (b *BidiStream[In, Out]) CloseSendContext(ctx context.Context) error {
	return b.s.CloseSendContext(ctx)
}

// Recv returns the next value the procedure sent: io.EOF itself after the
// last one, as Stream.Recv.
func (b *BidiStream[In, Out]) Recv() (Out, error) {
	var v Out
	err := b.s.Recv(&v)
	return v, err
}

// Values returns the rest of what the procedure sends as an iterator, as
// the function Values does.
func (b *BidiStream[In, Out]) Values() iter.Seq2[Out, error] { return Values[Out](b.s) }

// Close abandons the call if it is still going and releases the stream, as
// Stream.Close does.
func (b *BidiStream[In, Out]) Close() error { return b.s.Close() }

// Stream returns the untyped stream underneath.
func (b *BidiStream[In, Out]) Stream() *Stream { return b.s }

// RegisterFunc registers fn on i as the procedure at p.Index, in the
// receive-function form of procedures.BidiFunc: shorter to write as a
// function literal than Register's iterator.
func (p BidiProc[In, Out]) RegisterFunc(i *Interface, fn func(ctx context.Context, recv func() (In, error), send func(Out) error) error) error {
	return i.Register(p.Index, procedures.BidiFunc(fn))
}
