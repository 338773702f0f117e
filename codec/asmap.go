package codec

import (
	"reflect"
	"strings"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// A struct whose type has a blank field `_msgpack struct{}` tagged
// `msgpack:",as_map"` crosses as a map from field names to values instead of
// an array (see the package documentation). msgpack/v5 has no such tag (only
// a global choice, which this package makes for arrays), so the package
// registers an encoder with msgpack/v5 for each such type it finds, before
// it first encodes or decodes a value whose type contains it.

// prepared holds the types whose graph has been walked for as_map structs.
var prepared sync.Map // reflect.Type -> struct{}

// prepare registers the map encoder of every as_map struct type reachable
// from t (through pointers, slices, arrays, maps and struct fields; not
// through interfaces, whose dynamic types are unknown here). It costs one
// map lookup for a type seen before.
func prepare(t reflect.Type) {
	if t == nil {
		return
	}
	if _, ok := prepared.Load(t); ok {
		return
	}
	walkTypes(t, map[reflect.Type]bool{})
	prepared.Store(t, struct{}{})
}

func walkTypes(t reflect.Type, seen map[reflect.Type]bool) {
	if seen[t] {
		return
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		walkTypes(t.Elem(), seen)
	case reflect.Map:
		walkTypes(t.Key(), seen)
		walkTypes(t.Elem(), seen)
	case reflect.Struct:
		if asMap(t) {
			fields := mapFields(t, nil)
			msgpack.Register(reflect.Zero(t).Interface(), func(e *msgpack.Encoder, v reflect.Value) error {
				return encodeAsMap(e, v, fields)
			}, nil)
		}
		for i := range t.NumField() {
			walkTypes(t.Field(i).Type, seen)
		}
	}
}

// asMap reports whether struct type t is marked as_map.
func asMap(t reflect.Type) bool {
	f, ok := t.FieldByName("_msgpack")
	if !ok {
		return false
	}
	_, opts, _ := strings.Cut(f.Tag.Get("msgpack"), ",")
	for _, o := range strings.Split(opts, ",") {
		if o == "as_map" || o == "asMap" {
			return true
		}
	}
	return false
}

// mapField is one entry of an as_map struct's map.
type mapField struct {
	name      string
	index     []int
	omitEmpty bool
}

// mapFields lists the fields of struct type t as msgpack/v5 names them:
// exported fields, by their tag's name or their own, "-" left out, the
// fields of an untagged embedded struct inlined.
func mapFields(t reflect.Type, prefix []int) []mapField {
	var out []mapField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("msgpack")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || f.Name == "_msgpack" {
			continue
		}
		index := append(append([]int(nil), prefix...), i)
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, mapFields(f.Type, index)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, mapField{name: name, index: index, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	return out
}

// encodeAsMap writes struct v as a map of its fields. The values go through
// e, so a struct inside is an array unless its own type is as_map.
func encodeAsMap(e *msgpack.Encoder, v reflect.Value, fields []mapField) error {
	n := 0
	for _, f := range fields {
		if !f.omitEmpty || !v.FieldByIndex(f.index).IsZero() {
			n++
		}
	}
	if err := e.EncodeMapLen(n); err != nil {
		return err
	}
	for _, f := range fields {
		fv := v.FieldByIndex(f.index)
		if f.omitEmpty && fv.IsZero() {
			continue
		}
		if err := e.EncodeString(f.name); err != nil {
			return err
		}
		if err := e.EncodeValue(fv); err != nil {
			return err
		}
	}
	return nil
}
