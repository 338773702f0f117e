package cluster

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

var simFull = flag.Bool("cluster.sim", false, "TestHundredMembers: simulate 100 members even with -race (30 otherwise)")

// raceEnabled reports whether the test binary has the race detector,
// which slows memberlist down several times.
var raceEnabled = func() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}()

// simConfig is the memberlist configuration of the simulation:
// LocalConfig with faster gossip (50 ms), the retransmissions of
// LANConfig (with LocalConfig's 2, one run of 30 members in four has a
// member miss another's join), a push/pull sync every 5 s rather than
// 15 s (a member that missed a join learns it then, from any other), and
// more lenient timeouts: probes 500 ms rather than 200 ms, streams (joins,
// push/pull) 5 s rather than 1 s. A machine busy with other work (two
// simulations at once on two cores, with the race detector) delays acks
// past 200 ms: the members then did not settle within a minute.
func simConfig() *memberlist.Config {
	c := LocalConfig()
	c.ProbeTimeout = 500 * time.Millisecond
	c.GossipInterval = 50 * time.Millisecond
	c.RetransmitMult = 4
	c.PushPullInterval = 5 * time.Second
	c.TCPTimeout = 5 * time.Second
	return c
}

// simNode joins member i of the simulation to seed ("" for none).
func simNode(t *testing.T, i int, seed string) *Node {
	t.Helper()
	return startNode(t, serverConfig(fmt.Sprintf("m%03d", i), "127.0.0.1:"+strconv.Itoa(10000+i), seed, simConfig()))
}

// allSee reports whether every node of nodes sees cond hold, checking the
// nodes from the first that did not last time.
func allSee(nodes []*Node, cond func([]Member) bool) func() bool {
	next := 0
	return func() bool {
		for ; next < len(nodes); next++ {
			if !cond(nodes[next].Members()) {
				return false
			}
		}
		return true
	}
}

// TestHundredMembers runs a cluster of 100 members in the process, on
// loopback, and reports how long memberlist takes to spread joins, a join
// and a crash, as rows of a Markdown table. With the race detector it
// runs 30, unless -cluster.sim: the race detector slows memberlist down
// so much that on two cores the seed, starved, fails to answer joins
// within TCPTimeout.
func TestHundredMembers(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulation of many members")
	}
	checkNoGoroutines(t)
	size := 100
	if raceEnabled && !*simFull {
		size = 30
	}
	c := simConfig()
	t.Logf("%d members on loopback, LocalConfig with ProbeInterval %v, ProbeTimeout %v, GossipInterval %v, RetransmitMult %d, PushPullInterval %v, TCPTimeout %v; GOMAXPROCS %d, race detector: %v",
		size, c.ProbeInterval, c.ProbeTimeout, c.GossipInterval, c.RetransmitMult, c.PushPullInterval, c.TCPTimeout, runtime.GOMAXPROCS(0), raceEnabled)

	start := time.Now()
	nodes := []*Node{simNode(t, 0, "")}
	seed := nodes[0].GossipAddr()
	for i := 1; i < size; i++ {
		nodes = append(nodes, simNode(t, i, seed))
	}
	joined := time.Since(start)
	converged := waitUntil(t, 60*time.Second, "every member sees every other", allSee(nodes, func(ms []Member) bool { return len(ms) == size }))
	t.Logf("| %d members join (one Join after another, seed: the first) | %v |", size, joined.Round(time.Millisecond))
	t.Logf("| ... then every member sees all %d | %v later (%v from the first Join) |", size, converged.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	start = time.Now()
	last := simNode(t, size, seed)
	joinedOne := time.Since(start)
	waitUntil(t, 30*time.Second, "every member sees the last to join", allSee(append(nodes, last), func(ms []Member) bool { return hasMember(ms, last.name) }))
	t.Logf("| member %d joins | Join %v; every member sees it %v after Join began |", size+1, joinedOne.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	crashed := nodes[size/2]
	survivors := append(append(nodes[:size/2:size/2], nodes[size/2+1:]...), last)
	start = time.Now()
	if err := crashed.crash(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 60*time.Second, "every member drops the crashed one", allSee(survivors, func(ms []Member) bool { return !hasMember(ms, crashed.name) }))
	t.Logf("| a member crashes (no Leave) | every other drops it after %v |", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	var wg sync.WaitGroup
	for _, n := range survivors {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := n.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown(%s): %v", n.name, err)
			}
		})
	}
	wg.Wait()
	t.Logf("| the %d others Shutdown at once | %v |", len(survivors), time.Since(start).Round(time.Millisecond))
}
