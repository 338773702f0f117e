package procedures

import (
	"errors"
	"strconv"
	"strings"

	"github.com/ipfi-go/ipfi/codec"
)

var (
	// ErrBadArguments is wrapped by Invoke's error when the argument payload
	// does not decode into the procedure's parameters. The error also wraps
	// codec.ErrArgs and the decoder's own error.
	ErrBadArguments = errors.New("procedures: bad arguments")
	// ErrBadResult is wrapped by Invoke's error when the procedure's result
	// cannot be encoded (a channel or function in it, for example). The
	// error also wraps codec.ErrEncode, names the result's type and, for a
	// procedure looked up in a Registry, the procedure's index.
	ErrBadResult = errors.New("procedures: cannot encode result")
	// ErrDuplicate is returned by Registry.Register when the index is taken.
	ErrDuplicate = errors.New("procedures: index already registered")
	// ErrUnknown means that no procedure is registered at an index. This
	// package does not return it; it is the error callers report for a failed
	// Registry.Lookup.
	ErrUnknown = errors.New("procedures: unknown procedure")
	// ErrInvalid is returned by Registry.Register and Procedure.Invoke for the
	// zero Procedure, which is also what every constructor returns for a nil
	// function.
	ErrInvalid = errors.New("procedures: invalid procedure (zero value or nil function)")
)

// The errors of this package that wrap codec's say "procedures: " once,
// at the outside: the codec error's text follows without its own prefix
// (and without "bad arguments", said already). They are built on failures
// only.

// argsError is the failure of a procedure's arguments to decode: it
// matches ErrBadArguments and the codec's error (codec.ErrArgs for
// DecodeArgs').
type argsError struct{ err error }

func (e *argsError) Error() string {
	s := e.err.Error()
	if t, ok := strings.CutPrefix(s, codec.ErrArgs.Error()+": "); ok {
		s = t
	} else {
		s = strings.TrimPrefix(s, "codec: ")
	}
	return ErrBadArguments.Error() + ": " + s
}

func (e *argsError) Unwrap() []error { return []error{ErrBadArguments, e.err} }

// badArgs wraps an error of codec.DecodeArgs or codec.Unmarshal.
func badArgs(err error) error { return &argsError{err} }

// resultError is the failure of a procedure's result (or a sequence's
// value) to encode: it matches ErrBadResult and the codec's error
// (codec.ErrEncode), and names the procedure once its index is known
// (see Procedure.named).
type resultError struct {
	err     error
	proc    Index
	indexed bool
}

func (e *resultError) Error() string {
	s := strings.TrimPrefix(e.err.Error(), codec.ErrEncode.Error()+" ")
	s = strings.TrimPrefix(s, "codec: ")
	if !e.indexed {
		return ErrBadResult.Error() + ": " + s
	}
	return "procedures: procedure " + strconv.FormatUint(uint64(e.proc), 10) + ": " +
		strings.TrimPrefix(ErrBadResult.Error(), "procedures: ") + ": " + s
}

func (e *resultError) Unwrap() []error { return []error{ErrBadResult, e.err} }

// badResult wraps an error of codec.Append.
func badResult(err error) error { return &resultError{err: err} }

// named gives the result error in err, if there is one, p's index: a
// procedure looked up in a Registry knows it. It runs on failures only.
func (p Procedure) named(err error) {
	var re *resultError
	if p.indexed && errors.As(err, &re) && !re.indexed {
		re.proc, re.indexed = p.index, true
	}
}
