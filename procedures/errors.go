package procedures

import "errors"

var (
	// ErrBadArguments is wrapped by Invoke's error when the argument payload
	// does not decode into the procedure's parameters. The error also wraps
	// codec.ErrArgs and the decoder's own error.
	ErrBadArguments = errors.New("procedures: bad arguments")
	// ErrBadResult is wrapped by Invoke's error when the procedure's result
	// cannot be encoded (a channel or function in it, for example).
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
