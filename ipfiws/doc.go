// Package ipfiws carries IPFI wires over WebSocket connections, so that
// IPFI shares a port, a TLS setup and any reverse proxy with an HTTP
// server.
//
// Handler is an http.Handler that upgrades each request to a WebSocket and
// makes it an accepted wire of an interface, as Interface.Serve does for
// the connections of a TCP listener; Dial connects to such a handler at a
// ws:// or wss:// URL. Use Serve and Interface.Dial for plain TCP (or TLS
// over TCP), this package where HTTP is the way in.
//
// The bytes of a wire travel in binary WebSocket messages, as
// websocket.NetConn carries a byte stream: each Write of the wire is one
// or more messages, and the reader joins them back into a stream, so
// message boundaries carry no meaning. Limits:
//
//   - A message holds at most MaxMessage bytes (1 MiB). This package splits
//     every write into messages no larger, and a peer's message over it
//     ends the WebSocket (status 1009, message too big) and so the wire.
//     The interface's own Limits (MaxFrame and the rest) bound what the
//     wire accepts; the message limit bounds only how the stream is cut.
//   - The WebSocket's life is the wire's: the WebSocket ending ends the
//     wire, and the wire ending (Wire.Close, Interface.Close, a failure)
//     closes the WebSocket's connection at once, without the WebSocket
//     close handshake, so that the wire's end never waits on the peer
//     (the wire's Termination message has told a peer of this library
//     already; to the other side the WebSocket ends abnormally, status
//     1006). Nothing of the connection outlives the wire.
//
// Over wss:// (Dial), or from a Handler served over TLS, Wire.TLS is the
// HTTP connection's TLS state: a procedure learns the client's verified
// certificates there as over Serve's TLS (behind a reverse proxy that ends
// TLS, it is nil: the proxy's hop is plain). Wire.RemoteAddr is the address of the
// HTTP peer for Handler's wires (a reverse proxy's, behind one) and a
// placeholder for Dial's.
//
// The root package github.com/ipfi-go/ipfi does not import this package
// nor github.com/coder/websocket: only programs that import ipfiws link
// them.
package ipfiws
