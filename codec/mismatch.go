package codec

import (
	"errors"
	"reflect"
	"strconv"
)

// fitError is a value of the input that does not fit its target, said in
// Go's words: where it is in the decoded value, what the input holds
// there, and what the target wanted. Its text has no package prefix: the
// function that returns it to a caller adds "codec: " (see prefixed).
type fitError struct {
	// path is where the value is: "" for the whole value; else the
	// target's type followed by fields and indices ("pkg.T.Field[2]")
	// once rooted, or the steps alone (".Field[2]") before.
	path string
	// got is what the input holds: a word of family's, "an array of 2",
	// or for an overflow the number.
	got string
	// want is the target's Go type ("int", "[]string", "pkg.T"); empty
	// until rooted names the target of a scalar fast path.
	want string
	kind fitKind
	// rooted: path and want name the target (see rooted).
	rooted bool
	// err is msgpack/v5's own error, when the mismatch explains one.
	err error
}

// fitKind says how a fitError's got and want relate.
type fitKind uint8

const (
	// fitType: the input holds a value of another type.
	fitType fitKind = iota
	// fitOverflow: the input holds a number out of the target's range.
	fitOverflow
	// fitShape: a struct decoded from an array of another length than
	// its number of fields (want says the struct and its count).
	fitShape
)

func (e *fitError) Error() string {
	var s string
	switch e.kind {
	case fitType:
		s = "got " + e.got + ", want " + e.want
		if e.want == "" {
			s = "unexpected " + e.got
		}
	case fitOverflow:
		s = e.got + " overflows " + e.want
	case fitShape:
		s = e.want + ", got " + e.got
	}
	if e.path != "" {
		return e.path + ": " + s
	}
	return s
}

// Unwrap returns msgpack/v5's error, if the mismatch explains one.
func (e *fitError) Unwrap() error { return e.err }

// badType is the error of a reader that found a value of another type,
// introduced by code c; the target is named later (rooted) unless the
// reader knows it.
func badType(c byte) error { return &fitError{got: family(c)} }

// overflow is the error of a reader that found the number v out of its
// target's range.
func overflow(v string) error { return &fitError{got: v, kind: fitOverflow} }

// inElement places err, an error of element i of an array, at "[i]", the
// element's target being want.
func inElement(err error, i int, want string) error {
	var fe *fitError
	if errors.As(err, &fe) && !fe.rooted {
		fe.path = "[" + strconv.Itoa(i) + "]" + fe.path
		if fe.want == "" {
			fe.want = want
		}
	}
	return err
}

// rooted names the target of a fitError in err, the value of type t (a
// pointer's element type if v is a pointer): its type is the want of a
// fast path's scalar and the start of a path. Other errors are returned as
// they are. It runs only on failures.
func rooted(err error, v any) error {
	var fe *fitError
	if !errors.As(err, &fe) || fe.rooted {
		return err
	}
	t := reflect.TypeOf(v)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	fe.rooted = true
	if t == nil {
		return err
	}
	if fe.want == "" {
		fe.want = t.String()
	}
	if fe.path != "" {
		fe.path = t.String() + fe.path
	}
	return err
}

// family names, in Go's words, the kind of value a MessagePack code
// introduces.
func family(c byte) string {
	switch {
	case c <= 0x7f || c >= negFixLow:
		return "int"
	case c <= fixMapHigh:
		return "map"
	case c <= fixArrayHigh:
		return "array"
	case c <= fixStrHigh:
		return "string"
	}
	switch c {
	case codeNil:
		return "nil"
	case codeFalse, codeTrue:
		return "bool"
	case codeBin8, codeBin16, codeBin32:
		return "[]byte"
	case codeFloat32:
		return "float32"
	case codeFloat64:
		return "float64"
	case codeUint8, codeUint16, codeUint32, codeUint64:
		return "uint"
	case codeInt8, codeInt16, codeInt32, codeInt64:
		return "int"
	case codeStr8, codeStr16, codeStr32:
		return "string"
	case codeArray16, codeArray32:
		return "array"
	case codeMap16, codeMap32:
		return "map"
	case 0xc1:
		return "malformed input (0xc1)"
	}
	return "ext" // ext 8, 16, 32 and fixext 1 to 16
}
