// Package ipfiquic carries IPFI wires over QUIC (github.com/quic-go/quic-go):
// one QUIC connection carries many wires, one per bidirectional stream,
// with no head-of-line blocking between them and a connection that
// survives a change of the client's address.
//
// A client dials a connection (Dial) and opens a wire per stream
// (Conn.Open); a server serves a listener (Listen, Serve) and makes a wire
// of every stream a client opens, accepted as Interface.Serve's are
// (ipfi.WithAccepted). Either side may open streams: a stream the peer
// opens becomes a wire of the interface the Conn was made for.
//
//   - A wire ends with its stream: a stream reset by the peer ends the
//     wire with ipfi.ErrWireTerminated, and the wire's end (Wire.Close,
//     a failure) resets or finishes its stream and no other.
//   - All of a connection's wires end with it: Conn.Close, the peer's
//     close, QUIC's idle timeout, a lost network.
//   - Wires per connection are bounded by quic.Config.MaxIncomingStreams
//     (quic-go's default: 100 open at once from the peer); wires per
//     interface by ipfi.Limits.MaxWires.
//
// # Timeouts
//
// Config derives QUIC's timers from the interface's ipfi.Timeouts, so that
// a connection is bounded as a TCP wire is:
//   - QUIC's handshake is bounded by Timeouts.Handshake
//     (quic.Config.HandshakeIdleTimeout; quic-go gives up on a handshake
//     that takes twice that).
//   - QUIC's keepalive (quic.Config.KeepAlivePeriod) follows
//     Timeouts.KeepaliveInterval; its idle timeout (MaxIdleTimeout) is
//     KeepaliveInterval plus KeepaliveTimeout, so a peer that answers
//     nothing at all is dropped in about the time a wire's own keepalive
//     would take. QUIC's idle timeout is per connection, not per wire:
//     it ends every wire of a silent connection at once.
//   - Timeouts.Idle is per wire, as on every transport: a served wire with
//     no call open that receives no message for Idle ends, and its
//     stream with it. The connection then has no wire; a server closes a
//     connection that has had no wire for Idle, and one that opens no
//     stream within Handshake of its QUIC handshake.
//
// The root package github.com/ipfi-go/ipfi does not import this module:
// only programs that import ipfiquic link quic-go.
package ipfiquic
