// Package codec encodes and decodes MessagePack values the way the Rust crate
// ipfi (through rmp-serde's defaults) writes and reads them, so that Go and Rust
// peers can exchange procedure arguments and results byte for byte.
//
// Invariants and compatibility notes (what a Rust peer's rmp-serde writes and
// accepts):
//
//   - Integers are written in their smallest MessagePack form whatever their Go
//     type (int64(1) is 0x01, int64(-300) is d1 fe d4, uint64 max is cf ff..ff).
//     Readers accept any integer form whose value fits the target.
//   - Floats keep their width: float64 is always 0xcb, float32 always 0xca;
//     they are never compacted into integers.
//   - Every Go struct is a MessagePack array of its fields in order, without
//     names, as rmp-serde writes a Rust struct or tuple; no as_array tag is
//     needed. A struct decodes from such an array, or from a map keyed by field
//     name.
//   - A struct that must evolve between versions (fields added, removed or
//     reordered on one side only) crosses as a map from field names to values
//     instead: mark its type with a blank field named _msgpack, of type
//     struct{}, tagged msgpack:",as_map" (see [Example_asMap]). Field names are the msgpack
//     tag's or the Go field's; `omitempty` and `-` apply; the fields of an
//     untagged embedded struct are inlined. Use arrays (the default) for
//     whatever a Rust peer reads as a plain struct; rmp-serde reads a struct
//     from a map too (it writes one only with to_vec_named, as in the golden
//     vector msgpack_struct_named), so the map form crosses to Rust as well.
//     The mark is honoured wherever the type is reached through pointers,
//     slices, arrays, maps and struct fields, not through an interface; it
//     registers the type's encoder with msgpack/v5, for the whole program.
//   - Strings are str (fixstr, then str8 d9 from 32 to 255 bytes, str16,
//     str32). A Go []byte is bin, which a Rust Vec<u8> does not accept: use
//     [ByteArray], an array of integers, for a Vec<u8>. ByteArray decodes from
//     either form.
//   - nil is Rust's () and None; Some(x) is just x (use a pointer or any for an
//     Option). A value of type struct{} passed directly to Marshal, Append or
//     AppendArgs also encodes as nil, like (); nested inside another value it is
//     an empty array.
//   - A unit enum variant is its name as a string; a newtype or struct variant
//     is a one-entry map from the name to the value.
//   - The arguments of a call are the values concatenated without an array
//     header ([AppendArgs], [DecodeArgs]); the Rust callee prepends a header
//     with its arity.
//
// Strictness: values decoded directly into a pointer to a built-in scalar
// (*int64, *uint8, *string, *float32, *bool, ...) or *ByteArray are checked
// the way rmp-serde checks them: an integer that does not fit the target, or
// nil where a number is expected, is an error. Values nested inside structs,
// slices or maps are decoded by msgpack/v5, which converts integers to the
// field's type without a range check.
//
// Untrusted input: before msgpack/v5 sees a value, the value is walked once
// and rejected if it is truncated, nested deeper than 1024 levels (rmp-serde's
// default limit) or declares an array, map, string or bin longer than the
// remaining input could hold; so a decoder's allocations stay proportional to
// its input whatever lengths a header declares. (msgpack/v5 v5.4.1 itself
// preallocates declared slice lengths without a limit: see [NewDecoder].)
// [ValueLen] runs the same walk alone: it finds where the first value of a
// possibly partial input ends, or reports [ErrIncomplete].
//
// Errors say what did not fit in Go's words, "codec: " once at the front:
// where in the value (a path from the target's type, "pkg.T.Items[2]"),
// what the input holds there (nil, bool, int, uint, float32, float64,
// string, []byte, array, map or ext) and the Go type wanted ("codec:
// pkg.T.Name: got int, want string"), a number out of range ("codec: 300
// overflows int8"), or a struct decoded from an array of another length
// ("codec: struct pkg.T has 3 fields, got an array of 2"). DecodeArgs
// names the argument ("codec: bad arguments: argument 2 of 3: ..."), as
// AppendArgs does for a value it cannot encode ("codec: argument 2 of 3:
// cannot encode chan int", matching [ErrEncode]). The texts are built
// only when decoding or encoding fails.
//
// All functions are safe for concurrent use. Encoders and decoders are pooled:
// encoding allocates only the output buffer when it must grow, and decoding
// scalars allocates only what the result itself holds (a string's bytes).
package codec
