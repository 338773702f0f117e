package cluster

import (
	"context"
	"maps"
	"slices"
)

// Member is one server of a service: where its IPFI server listens and
// what it advertises.
type Member struct {
	// ID names the member uniquely among the service's: memberlist's node
	// name, or a static or DNS member's address.
	ID string
	// Network and Addr are where the member's IPFI server listens, as
	// Interface.Dial takes them: "tcp", "10.0.0.7:7000".
	Network, Addr string
	// Tags are what the member advertises besides its address, such as
	// "version" and "zone". Nil for none; never modified once reported.
	Tags map[string]string
}

// Equal reports whether m and o are the same member at the same address
// with the same tags.
func (m Member) Equal(o Member) bool {
	return m.ID == o.ID && m.Network == o.Network && m.Addr == o.Addr && maps.Equal(m.Tags, o.Tags)
}

// Resolver finds a service's members and reports every change.
//
// Watch calls update with the full set of members as soon as it knows
// them, and again after every change, until ctx ends; it then returns
// ctx's error. It returns another error only when it cannot go on at all
// (a misconfiguration); a passing failure (a DNS server that does not
// answer) is retried, and the last set reported stays in force meanwhile.
// Watch calls update from one goroutine at a time; update does not block
// for long and does not keep the slice. A Resolver's Watch may be called
// more than once, concurrently.
type Resolver interface {
	Watch(ctx context.Context, update func([]Member)) error
}

// ResolverFunc is a Resolver of the program's own, as a function: a file
// it polls, a key-value store it watches.
type ResolverFunc func(ctx context.Context, update func([]Member)) error

// Watch calls f.
func (f ResolverFunc) Watch(ctx context.Context, update func([]Member)) error { return f(ctx, update) }

// sortMembers returns ms sorted by ID, for comparing sets.
func sortMembers(ms []Member) []Member {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b Member) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return ms
}

// sameMembers reports whether a and b hold the same members, in any order.
func sameMembers(a, b []Member) bool {
	return slices.EqualFunc(sortMembers(a), sortMembers(b), Member.Equal)
}
