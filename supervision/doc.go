// Package supervision holds the supervisor strategies of ipfi's actor tree
// as small, named pieces.
//
// The tree (see package actors) is: an Interface root supervising wires; a
// wire (which parses its peer's bytes itself) supervising its byte-reader
// and one actor per call. Nothing in
// that tree can be restarted: a wire's byte stream is gone once it fails, and
// a call's procedure has already run or been cancelled. So every strategy here
// decides Stop or Escalate, never Restart:
//
//   - StopOnFailure: the failing child alone stops (a wire under the root, a
//     call under its wire); siblings go on. The failure is reported.
//   - EscalateNamed: a failure of one of the named children (a wire's
//     reader) fails the supervisor itself, so a broken reader takes its whole
//     wire down instead of leaving it deaf. Other children go to a fallback.
//
// What can be made again is a wire whose byte stream can be opened anew (a
// child process started again, an address dialled again): Restart is the
// policy for that, which ipfi.Interface.Supervise's keeper (an actor beside
// the wires) applies when a supervised wire's actor terminates or a dial
// fails, the first included. It makes a new wire rather than restarting
// the old actor in place; Event reports each change.
//
// Strategies depend only on protoactor-go's actor package.
package supervision
