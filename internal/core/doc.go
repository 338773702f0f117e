// Package core is the IPFI protocol without I/O: one Conn per wire decides
// everything both sides of a wire must agree on, and nothing else. It does
// no I/O, starts no goroutine, takes no lock and reads no clock: bytes the
// peer sent and the program's requests go in, and frames to write and call
// events come out (Conn.Output, Conn.Events), as in raft's RawNode or
// quinn-proto.
//
// What it decides:
//
//   - the extensions' negotiation: what this side announces, what the peer
//     announced (PeerState), and so which messages may be sent to it;
//   - calls the peer makes (InCall): assembling their arguments from
//     pieces, every limit and budget on them (open calls and streams, one
//     call's and the wire's argument bytes), when they are refused and with
//     which code, cancels, the end of the peer's input, and the answer
//     (the first one wins; an Error to a peer with the extensions, an empty
//     Complete to one without);
//   - calls this side makes (OutCall): their call indices and how long each
//     stays taken, and assembling their responses (pieces, values, the
//     empty-Complete rule, Error messages);
//   - flow control: the credit each direction of each call may spend
//     (SendCredit) and grants back (RecvWindow);
//   - pings, pongs, End of input, go-away and Termination;
//   - liveness (Liveness): from what the owner observes once a period, when
//     to send a keepalive ping and when a wire has waited too long on its
//     peer (handshake, write, idle and keepalive timeouts).
//
// The states are those of STATES.md beside this file, named the same here;
// TestStateTable drives the machines through every row of its tables.
//
// A Conn is not safe for concurrent use: it belongs to one owner (the wire's
// actor in package actors, the serving goroutine in package guest).
package core
