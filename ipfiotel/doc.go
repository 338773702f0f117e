// Package ipfiotel records an ipfi interface's metrics and traces through
// OpenTelemetry, as otelconnect does for connect-go and otelgrpc for
// grpc-go: New makes an ipfi.Interceptor that the program installs with
// ipfi.WithInterceptors,
//
//	tel, err := ipfiotel.New(ipfiotel.WithMeterProvider(mp), ipfiotel.WithTracerProvider(tp),
//		ipfiotel.WithErrorCodes(map[uint64]string{401: "unauthenticated", 404: "not_found"}))
//	if err != nil { ... }
//	iface, err := ipfi.New(ipfi.WithInterceptors(tel, auth))
//
// Given first, as here, it is the outermost interceptor: it records the
// time and the result the others make (a call auth refuses is counted
// with its code). It records every call the interface serves, of every
// kind, and every call and stream it makes (Call, Wire.Call, Wire.Stream,
// Wire.Open, and what goes through them: Iter, Collect, the procedure
// descriptors). The package imports only OpenTelemetry's API; the program
// chooses the SDK and the exporter (examples/metrics exports through
// Prometheus).
//
// # Metrics
//
// With WithMeterProvider, under the meter "github.com/ipfi-go/ipfi":
//
//	ipfi.server.calls           counter    calls served              procedure, code
//	ipfi.server.duration        histogram  their durations, s        procedure, code
//	ipfi.server.arg_bytes       counter    argument bytes received   procedure
//	ipfi.server.response_bytes  counter    response bytes sent       procedure
//	ipfi.server.values          counter    response values sent      procedure
//	ipfi.server.active          up-down    calls being served        procedure
//	ipfi.client.calls           counter    calls and streams made    procedure, code
//	ipfi.client.duration        histogram  their durations, s        procedure, code
//	ipfi.wires.open             up-down    wires open                (none)
//	ipfi.wires.ended            counter    wires ended               cause
//
// A stream made is recorded once it ends (read to its end or an error, or
// closed: see ipfi.Interceptor.ClientStream), a call served once its
// procedure has returned. ipfi.server.arg_bytes does not count a
// bidirectional procedure's input, which arrives as it runs.
//
// # Attributes
//
// Every attribute value is a lower-case token without spaces, from a set
// bounded by the program, never by a peer:
//
//   - procedure: the procedure's index in decimal ("7"). On the server, a
//     procedure the interface serves (a call of one it does not know is
//     refused before any interceptor); on the client, one the program
//     calls.
//   - code: the call's result. "ok"; one of the library's failures:
//     "cancelled" (the caller cancelled it, closed a stream before its
//     end or its context was cancelled), "deadline_exceeded",
//     "wire_terminated" (the wire ended under it), "shutdown" (refused by
//     a callee shutting down), "limit" (over a limit of either side's),
//     "unknown_procedure", "bad_arguments", "procedure_error" (the
//     procedure failed with an error of no code of the application's),
//     "panic", "remote" (the failure a peer without the extensions
//     reports, which carries no code), "decode" (a response this side
//     could not decode), "local" (made on this side and failed without an
//     answer: no wire, arguments that do not encode, another error of the
//     program's); or, for an application error (an *ipfi.Error, the
//     procedure's, or an interceptor's refusal), the name WithErrorCodes
//     gives its code, and "other" for a code it does not name, or a
//     failure code this side does not know (a newer peer's): a peer
//     chooses codes freely. So at most 14 values and the names given.
//   - cause: why a wire ended: "closed" (this side closed it),
//     "peer_terminated", "peer_closed" (the peer's stream ended),
//     "keepalive_timeout", "write_timeout", "handshake_timeout",
//     "idle_timeout", "process_exited", "malformed" (the peer broke the
//     protocol), or "other" (a read or write error, a cause of the
//     program's).
//
// # Traces
//
// With WithTracerProvider, a span per call and stream made, "ipfi.call N"
// (kind client; attributes procedure, code, and kind: "unary", "stream"
// or "open"), and a span per call served, "ipfi.serve N" (kind server;
// procedure and code). The client's span travels in the call's metadata
// as a W3C trace context ("traceparent") and the server's span is its
// child. A failed call's span has status Error and the error's text.
package ipfiotel
