package codec

import (
	"encoding"
	"errors"
	"io"
	"reflect"
	"strconv"

	"github.com/vmihailenco/msgpack/v5"
)

// When msgpack/v5 fails to decode a value its error names a MessagePack
// code ("invalid code=a4 decoding int64") or no counts at all ("number of
// fields in array-encoded struct has changed"). explained walks the value
// again, as msgpack/v5 decodes it, to say where it does not fit and why in
// Go's words. It runs on failures only: decoding input that fits costs
// nothing more.

// explained returns the error to report for msgpack/v5's failure err to
// decode b's first value into v: a rooted fitError when the walk finds
// the value that does not fit, else err without msgpack/v5's prefix.
func explained(b []byte, v any, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	var fe *fitError
	if t := reflect.TypeOf(v); t != nil && t.Kind() == reflect.Pointer {
		r := sliceReader{b: b}
		if found, sure := r.explain(t.Elem(), 0); sure && found != nil {
			found.err = err
			return rooted(found, v)
		}
	}
	if errors.As(err, &fe) { // a reader's of this package, inside msgpack/v5's walk
		return rooted(err, v)
	}
	return msgpackError{err}
}

// Types that decode themselves: the walk cannot tell what they accept.
var (
	byteArrayType         = reflect.TypeOf(ByteArray(nil))
	customDecoderType     = reflect.TypeOf((*msgpack.CustomDecoder)(nil)).Elem()
	unmarshalerType       = reflect.TypeOf((*msgpack.Unmarshaler)(nil)).Elem()
	binaryUnmarshalerType = reflect.TypeOf((*encoding.BinaryUnmarshaler)(nil)).Elem()
	textUnmarshalerType   = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func decodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(customDecoderType) || p.Implements(unmarshalerType) ||
		p.Implements(binaryUnmarshalerType) || p.Implements(textUnmarshalerType)
}

// explain walks the value at r's position as msgpack/v5 decodes it into a
// value of type t, and returns the first part of it that does not fit
// (its path relative to the value); nil if all of it fits. sure is false
// if it cannot tell: a type that decodes itself, one msgpack/v5 does not
// decode, or input it cannot walk.
func (r *sliceReader) explain(t reflect.Type, depth int) (found *fitError, sure bool) {
	if r.pos >= len(r.b) || depth > 2*maxDepth {
		return nil, false
	}
	c := r.b[r.pos]
	if c == codeNil { // every target takes nil (its zero value)
		r.pos++
		return nil, true
	}
	if t.Kind() == reflect.Pointer {
		return r.explain(t.Elem(), depth+1)
	}
	if t == byteArrayType {
		if _, err := r.byteArray(); err != nil {
			return fitOf(err, t)
		}
		return nil, true
	}
	if decodesItself(t) {
		return nil, false
	}
	switch k := t.Kind(); {
	case k == reflect.Interface:
		return r.explainAny(t, depth)
	case k == reflect.Bool:
		return r.scalar(t, c == codeTrue || c == codeFalse)
	case k >= reflect.Int && k <= reflect.Uint64:
		return r.scalar(t, isInteger(c))
	case k == reflect.Float32:
		return r.scalar(t, c == codeFloat32 || isInteger(c))
	case k == reflect.Float64:
		return r.scalar(t, c == codeFloat32 || c == codeFloat64 || isInteger(c))
	case k == reflect.String:
		return r.scalar(t, isStringOrBin(c))
	case k == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return r.scalar(t, isStringOrBin(c))
	case k == reflect.Array && t.Elem().Kind() == reflect.Uint8:
		return r.byteArrayOf(t)
	case k == reflect.Slice || k == reflect.Array:
		return r.explainArray(t, depth)
	case k == reflect.Map:
		return r.explainMap(t, depth)
	case k == reflect.Struct:
		return r.explainStruct(t, depth)
	}
	return nil, false // chan, func, complex: msgpack/v5's own words
}

// Types msgpack/v5 decodes a map and an array into, in an interface{}.
var (
	anyMapType   = reflect.TypeOf(map[string]any(nil))
	anySliceType = reflect.TypeOf([]any(nil))
)

// explainAny walks a value decoded into an interface type t: an empty
// interface takes a map as a map[string]any, an array as a []any, any
// other value but an ext (which only registered types take) as it is.
func (r *sliceReader) explainAny(t reflect.Type, depth int) (*fitError, bool) {
	c := r.b[r.pos]
	switch {
	case t.NumMethod() > 0:
		return nil, false
	case c >= fixMapLow && c <= fixMapHigh, c == codeMap16, c == codeMap32:
		return r.explainMap(anyMapType, depth)
	case c >= fixArrayLow && c <= fixArrayHigh, c == codeArray16, c == codeArray32:
		return r.explainArray(anySliceType, depth)
	case family(c) == "ext":
		return nil, false
	}
	return nil, r.check(0) == nil
}

// fitOf returns err as a walk's finding if it is a fitError.
func fitOf(err error, t reflect.Type) (*fitError, bool) {
	var fe *fitError
	if !errors.As(err, &fe) {
		return nil, false
	}
	if fe.want == "" {
		fe.want = t.String()
	}
	return fe, true
}

// scalar skips a value that fits a scalar target of type t (ok), or
// reports that it does not.
func (r *sliceReader) scalar(t reflect.Type, ok bool) (*fitError, bool) {
	if !ok {
		return &fitError{got: family(r.b[r.pos]), want: t.String()}, true
	}
	return nil, r.check(0) == nil
}

func isInteger(c byte) bool {
	return c <= 0x7f || c >= negFixLow || (c >= codeUint8 && c <= codeInt64)
}

func isStringOrBin(c byte) bool {
	return (c >= fixStrLow && c <= fixStrHigh) || (c >= codeStr8 && c <= codeStr32) ||
		(c >= codeBin8 && c <= codeBin32)
}

// byteArrayOf walks a str or bin into a byte array type t ([N]byte),
// which must hold its bytes.
func (r *sliceReader) byteArrayOf(t reflect.Type) (*fitError, bool) {
	c := r.b[r.pos]
	if !isStringOrBin(c) {
		return &fitError{got: family(c), want: t.String()}, true
	}
	b, err := r.stringBytes()
	switch {
	case err != nil:
		return nil, false
	case len(b) > t.Len():
		return &fitError{got: family(c) + " of " + strconv.Itoa(len(b)) + " bytes", want: t.String()}, true
	}
	return nil, true
}

// header reads an array's or a map's header: its count of items (entries
// for a map), or ok false, consuming nothing, if the value is not one.
func (r *sliceReader) header(mapOf bool) (n int, ok bool) {
	c := r.b[r.pos]
	low, size16, size32 := byte(fixArrayLow), byte(codeArray16), byte(codeArray32)
	if mapOf {
		low, size16, size32 = fixMapLow, codeMap16, codeMap32
	}
	var err error
	switch {
	case c >= low && c <= low+15:
		r.pos++
		return int(c - low), true
	case c == size16:
		r.pos++
		n, err = r.length(2)
	case c == size32:
		r.pos++
		n, err = r.length(4)
	default:
		return 0, false
	}
	return n, err == nil
}

// explainArray walks an array into a slice or array type t.
func (r *sliceReader) explainArray(t reflect.Type, depth int) (*fitError, bool) {
	c := r.b[r.pos]
	n, ok := r.header(false)
	switch {
	case !ok:
		return &fitError{got: family(c), want: t.String()}, true
	case t.Kind() == reflect.Array && n > t.Len():
		return &fitError{got: "an array of " + strconv.Itoa(n), want: t.String()}, true
	}
	for i := range n {
		if found, sure := r.explain(t.Elem(), depth+1); !sure || found != nil {
			if found != nil {
				found.path = "[" + strconv.Itoa(i) + "]" + found.path
			}
			return found, sure
		}
	}
	return nil, true
}

// explainMap walks a map into a map type t.
func (r *sliceReader) explainMap(t reflect.Type, depth int) (*fitError, bool) {
	c := r.b[r.pos]
	n, ok := r.header(true)
	if !ok {
		return &fitError{got: family(c), want: t.String()}, true
	}
	for range n {
		key := r.pos
		if found, sure := r.explain(t.Key(), depth+1); !sure || found != nil {
			if found != nil {
				found.path = "[key]" + found.path
			}
			return found, sure
		}
		if found, sure := r.explain(t.Elem(), depth+1); !sure || found != nil {
			if found != nil {
				found.path = "[" + keyText(r.b[key:]) + "]" + found.path
			}
			return found, sure
		}
	}
	return nil, true
}

// keyText shows the map key at the start of b: a string quoted, an
// integer as a number, anything else as "key".
func keyText(b []byte) string {
	k := sliceReader{b: b}
	if s, err := k.stringBytes(); err == nil {
		return strconv.Quote(string(s))
	}
	k.pos = 0
	if neg, pos, isNeg, err := k.integer(); err == nil {
		if isNeg {
			return strconv.FormatInt(neg, 10)
		}
		return strconv.FormatUint(pos, 10)
	}
	return "key"
}

// explainStruct walks a map (keyed by field name) or an array (of every
// field, in order) into struct type t.
func (r *sliceReader) explainStruct(t reflect.Type, depth int) (*fitError, bool) {
	c := r.b[r.pos]
	fields := mapFields(t, nil)
	if n, ok := r.header(true); ok {
		return r.explainStructMap(t, fields, n, depth)
	}
	n, ok := r.header(false)
	if !ok {
		return &fitError{got: family(c), want: t.String()}, true
	}
	want := fieldCount(t, len(fields))
	if n > 0 && n != want {
		return &fitError{kind: fitShape, got: "an array of " + strconv.Itoa(n),
			want: "struct " + t.String() + " has " + strconv.Itoa(want) + " fields"}, true
	}
	if len(fields) != want {
		return nil, false // fields this walk does not list as msgpack/v5 does
	}
	for _, f := range fields[:n] {
		if found, sure := r.explainField(t, f, depth); !sure || found != nil {
			return found, sure
		}
	}
	return nil, true
}

// explainStructMap walks the n entries of a map into struct type t, whose
// fields are fields: a value by its field's type, an entry of no field
// skipped.
func (r *sliceReader) explainStructMap(t reflect.Type, fields []mapField, n, depth int) (*fitError, bool) {
	for range n {
		name, found := r.fieldName()
		if found != nil {
			found.path = "[key]"
			return found, true
		}
		f, ok := fieldNamed(fields, string(name))
		if !ok {
			if r.check(0) != nil {
				return nil, false
			}
			continue
		}
		if found, sure := r.explainField(t, f, depth); !sure || found != nil {
			return found, sure
		}
	}
	return nil, true
}

// fieldName reads the key of a struct's map entry: a string or bin (nil
// reads as ""), or it reports what else came.
func (r *sliceReader) fieldName() ([]byte, *fitError) {
	switch c := r.b[r.pos]; {
	case c == codeNil:
		r.pos++
		return nil, nil
	case isStringOrBin(c):
		if name, err := r.stringBytes(); err == nil {
			return name, nil
		}
	}
	return nil, &fitError{got: family(r.b[r.pos]), want: "string"}
}

// explainField walks the value of field f of struct type t.
func (r *sliceReader) explainField(t reflect.Type, f mapField, depth int) (*fitError, bool) {
	sf := t.FieldByIndex(f.index)
	found, sure := r.explain(sf.Type, depth+1)
	if found != nil {
		found.path = "." + sf.Name + found.path
	}
	return found, sure
}

func fieldNamed(fields []mapField, name string) (mapField, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return mapField{}, false
}

// fieldCount returns the number of fields msgpack/v5 reads from an array
// into struct type t: the length of the array it writes for a zero value
// of t; listed, if that is not an array.
func fieldCount(t reflect.Type, listed int) int {
	b, err := appendSlow(nil, reflect.New(t).Interface())
	if err != nil || len(b) == 0 {
		return listed
	}
	r := sliceReader{b: b}
	if n, ok := r.header(false); ok {
		return n
	}
	return listed
}
