// Package wire encodes and decodes the messages of ipfiBuF, the binary
// format of the Rust crate ipfi (0.1.0-rc.2), byte for byte.
//
// It turns frames into bytes (AppendFrame, AppendHeader) and bytes into
// frames (Decoder) and does nothing else: it knows no procedures, no calls
// in flight and no MessagePack. The format is written down in PROTOCOL.md
// in this directory.
//
// It also encodes this project's negotiated extensions, version 1
// (PROTOCOL.md, "Extensions (version 1)"): the kinds KindAnnounce through
// KindPong (0xF0..0xF6), and body helpers for errors (AppendError,
// AppendApplicationError, ParseError, ParseErrorBody), cancellation
// (AppendCancel), flow-control credit (AppendCredit, ParseCredit,
// InitialCredit) and liveness (AppendPing); and version 2 (PROTOCOL.md,
// "Version 2"): KindAnnounce2, deadlines (AppendDeadline, ParseDeadline)
// and go-away (AppendGoAway). A Decoder parses extension headers only once
// SetExtensions(true) (version 1) or SetExtensionVersion(2) has been
// called, which the layer above does on the peer's announcements.
//
// For streams of small values, FeedRuns decodes as Feed does but takes the
// frames that repeat a stream value's header into a Run (payloads back to
// back, plus where each ends) instead of emitting each: a fast stream is
// mostly headers, which FeedRuns recognises by their bytes without decoding
// them.
//
// Invariants:
//
//   - Pure and synchronous: no goroutines, no locks, no I/O, standard
//     library only. A Decoder belongs to the one goroutine that feeds it.
//   - Byte-exact with the Rust crate: every integer is written in the
//     smallest width that holds it, and the golden vectors captured from
//     the crate decode and re-encode to the same bytes.
//   - Resumable: a Decoder accepts input split at any byte boundary and
//     emits the same frames as for the whole input.
//   - Bounded: a Decoder never allocates more than its payload limit for a
//     payload, whatever length a peer declares; it grows its buffer only as
//     bytes arrive, and drops a buffer over 64 KiB once its frame is out.
//   - Zero copy where possible: a payload wholly inside the fed slice is
//     emitted as a sub-slice of it. Any emitted payload is only valid
//     during the emit call.
//   - Unknown type bytes are not errors: they are emitted as bodiless
//     frames, one byte each, as the Rust crate skips them. So are the
//     extension kinds while a Decoder's extensions are off.
//   - The first error is sticky: after malformed input every Feed returns
//     the same error, which wraps ErrMalformed.
package wire
