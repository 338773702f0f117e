// Package ipfidebug shows an ipfi interface's live view, its wires and the
// calls open on them (Interface.Snapshot), to operators: as a tree or JSON
// over HTTP, like /debug/pprof (Handler), or to peers as a procedure
// (Expose), which `ipfi tree ADDR` prints.
//
//	mux.Handle("/debug/ipfi", ipfidebug.Handler(iface))
//	err := ipfidebug.Expose(iface, ipfidebug.SnapshotIndex)
//
// The tree (Snapshot.String) is for people: byte counts are human sizes in
// binary units ("512 B", "12.3 KiB", "1.0 GiB"). The JSON is for programs:
// byte counts and durations are exact integers, and every list is an array,
// [] when it is empty, never null.
//
// Both show every wire's peer address and the calls open on it: serve them
// only where operators, or peers that may see that, reach them.
package ipfidebug
