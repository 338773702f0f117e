package cluster

import (
	"context"
	"slices"
)

// Static returns a Resolver of a fixed set of members, for a service whose
// servers do not move: a test, a small deployment, a config file read at
// start.
//
// Its Watch reports the members once, sorted by ID, then blocks until ctx
// ends and returns ctx's error; if ctx has ended already, it returns at
// once and reports nothing. Static fills in what a member leaves
// empty: Network "" becomes "tcp", ID "" becomes the member's Addr. It
// checks nothing else. Static copies the slice, not the members' Tags,
// which the caller does not modify afterwards.
func Static(members ...Member) Resolver {
	ms := make([]Member, len(members))
	for i, m := range members {
		if m.Network == "" {
			m.Network = "tcp"
		}
		if m.ID == "" {
			m.ID = m.Addr
		}
		ms[i] = m
	}
	ms = sortMembers(ms)
	return ResolverFunc(func(ctx context.Context, update func([]Member)) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		update(slices.Clone(ms))
		<-ctx.Done()
		return ctx.Err()
	})
}
