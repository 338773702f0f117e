// Package procedures holds the procedures an interface offers to its peers: a
// lock-free Registry from indices to procedures, and typed constructors that
// decode a call's arguments and encode its result the way the Rust crate ipfi
// does.
//
// Invariants and compatibility notes (PROTOCOL.md section 3):
//
//   - A procedure receives one call's complete argument bytes: the MessagePack
//     encodings of its arguments one after another, without an array header.
//     Func1 to Func6 decode exactly their arity's worth of values with
//     codec.DecodeArgs (a shorter payload, a value of the wrong type or
//     trailing bytes are ErrBadArguments); Func0 ignores the payload, as a
//     Rust procedure without arguments does.
//   - A plain procedure answers with one MessagePack value, encoded with
//     codec.Append: integers compact, structs as arrays, []byte as bin (use
//     codec.ByteArray for a Rust Vec<u8>). A procedure with nothing to return
//     should return struct{}{} (or a nil any), which encodes as nil, Rust's ().
//   - Raw procedures see and produce payload bytes as they are.
//   - Invoke does not recover panics: the caller that runs procedures (the
//     call actor) does, and turns them into errors for the peer.
//
// A Procedure is an immutable value and safe to invoke from many goroutines at
// once provided its function is. A Registry is safe for concurrent use; its
// Lookup, on every inbound call's path, takes no lock.
package procedures
