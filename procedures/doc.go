// Package procedures holds the procedures an interface offers to its peers: a
// lock-free Registry from indices to procedures, and typed constructors that
// decode a call's arguments and encode its result the way the Rust crate ipfi
// does.
//
// Invariants and compatibility notes:
//
//   - A call's arguments are the MessagePack encodings of its argument
//     values one after another, without an array header. A unary, sequence or
//     raw stream procedure receives them complete; Func1 to Func6 and
//     Sequence1, Sequence2 decode exactly their arity's worth of values with
//     codec.DecodeArgsNoCopy (a shorter payload, a value of the wrong type or
//     trailing bytes are ErrBadArguments); Func0 and Sequence0 ignore the
//     payload, as a Rust procedure without arguments does. A bidirectional
//     procedure reads the values one at a time as they arrive.
//   - A plain procedure answers with one MessagePack value, encoded with
//     codec.Append: integers compact, structs as arrays, []byte as bin (use
//     codec.ByteArray for a Rust Vec<u8>). A procedure with nothing to return
//     should return struct{}{} (or a nil any), which encodes as nil, Rust's ().
//   - A sequence procedure, or one built with Bidi, answers one MessagePack
//     value per chunk, each encoded as a plain procedure's result is.
//   - Raw, RawStream and RawBidi procedures see and produce payload bytes as
//     they are.
//   - This package recovers no panics (Invoke, Stream, StreamRaw and RunBidi
//     let them through). The library recovers a panic on the goroutine that
//     ran the procedure, answers the caller with an error (code panic), and
//     reports the failure to the call's supervisor.
//
// A Procedure is an immutable value and safe to invoke from many goroutines at
// once provided its function is. A Registry is safe for concurrent use; its
// Lookup, on every inbound call's path, takes no lock.
package procedures
