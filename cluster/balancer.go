package cluster

import (
	"math/rand/v2"
	"sync/atomic"
)

// Candidate is a member a Balancer may pick: up, healthy, not yet tried
// by the call, and in the preferred subset when the client has one.
type Candidate struct {
	Member Member
	Open   int // calls the client has open on it
}

// Balancer picks the member a call goes to. Pick is called with at least
// one candidate, concurrently, and returns an index into candidates.
type Balancer interface {
	Pick(candidates []Candidate) int
}

// RoundRobin returns a Balancer that takes the candidates in turn.
func RoundRobin() Balancer { return &roundRobin{} }

type roundRobin struct{ next atomic.Uint64 }

func (r *roundRobin) Pick(cs []Candidate) int { return int((r.next.Add(1) - 1) % uint64(len(cs))) }

// PowerOfTwo returns a Balancer that draws two candidates at random and
// takes the one with fewer calls open: the "power of two choices", which
// steers calls away from a slow member without watching every member.
func PowerOfTwo() Balancer { return powerOfTwo{} }

type powerOfTwo struct{}

func (powerOfTwo) Pick(cs []Candidate) int {
	if len(cs) == 1 {
		return 0
	}
	a := rand.IntN(len(cs))
	b := rand.IntN(len(cs) - 1)
	if b >= a {
		b++
	}
	if cs[b].Open < cs[a].Open {
		return b
	}
	return a
}
