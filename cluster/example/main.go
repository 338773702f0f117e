// Command example runs a service of IPFI servers on loopback, joined
// through memberlist, and a client that keeps calling them while the
// cluster changes under it:
//
//	cd cluster && go run ./example
//
// It starts five servers as child processes and drives a cluster.Client
// at load: 16 callers making idempotent calls, each with a deadline, under
// a retry budget. Mid-load it SIGKILLs one server, SIGSTOPs another for
// three seconds, and starts a sixth. Every second it prints the calls each
// server answered, the failures, and the members the client and a server
// see. It ends with a line beginning "summary:" and exits 0 only if every
// call succeeded within its deadline (failed=0), retries included.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/cluster"
)

const (
	callers  = 16
	deadline = 2 * time.Second // each call's, retries included
	workMs   = 2               // each call's work on the server
	runFor   = 16 * time.Second
)

func main() {
	if name := os.Getenv(serverEnv); name != "" {
		if err := serve(name, os.Getenv(seedEnv)); err != nil {
			fmt.Fprintln(os.Stderr, name+":", err)
			os.Exit(1)
		}
		return
	}
	ok, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// tally counts the calls each server answered, and the failures.
type tally struct {
	mu     sync.Mutex
	per    map[string]int
	total  int64
	failed atomic.Int64
	last   error
}

func (t *tally) add(server string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total++
	if err != nil {
		t.failed.Add(1)
		t.last = err
		return
	}
	t.per[server]++
}

// take returns the counts since the last take and resets them.
func (t *tally) take() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	per := t.per
	t.per = map[string]int{}
	return per
}

func run() (bool, error) {
	var servers []*child
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	first, err := startChild("s1", "")
	if err != nil {
		return false, err
	}
	servers = append(servers, first)
	for k := 2; k <= 5; k++ {
		s, err := startChild(fmt.Sprintf("s%d", k), first.gossip)
		if err != nil {
			return false, err
		}
		servers = append(servers, s)
	}

	i, err := ipfi.New()
	if err != nil {
		return false, err
	}
	defer i.Close()
	ctx := context.Background()
	watcher, err := cluster.Join(ctx, cluster.NodeConfig{Name: "client", Seeds: []string{first.gossip}, Memberlist: gossipConfig()})
	if err != nil {
		return false, err
	}
	defer watcher.Shutdown(ctx)
	budget := cluster.NewBudget(100, 0.1)
	client, err := cluster.NewClient(cluster.ClientConfig{
		Interface: i,
		Resolver:  watcher,
		Retry:     cluster.Retry{Attempts: 4, Budget: budget},
		Health:    cluster.Health{Period: 200 * time.Millisecond, Timeout: 200 * time.Millisecond},
	})
	if err != nil {
		return false, err
	}
	defer client.Close()
	fmt.Printf("5 servers; %d callers, idempotent calls with a %v deadline each, at most 4 attempts, a retry budget of 100 tokens (+0.1 per success)\n", callers, deadline)
	if err := waitFor(10*time.Second, func() bool { return len(client.Available()) == 5 }); err != nil {
		return false, fmt.Errorf("the client does not see the 5 servers: %w", err)
	}

	t := &tally{per: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() { load(client, t, stop) })
	}
	det := detect(client, servers, &servers)
	start := time.Now()
	tick := time.NewTicker(time.Second)
	for sec := 1; time.Since(start) < runFor; sec++ {
		<-tick.C
		report(sec, t, client)
	}
	tick.Stop()
	close(stop)
	wg.Wait()
	d := <-det

	st := client.Stats()
	fmt.Printf("summary: calls=%d ok=%d failed=%d retries=%d detect_kill=%v detect_stop=%v detect_join=%v membership_drops_killed=%v\n",
		t.total, t.total-t.failed.Load(), t.failed.Load(), st.Retries, d.kill, d.stop, d.join, <-d.killGossip)
	if t.failed.Load() > 0 {
		fmt.Println("last failure:", t.last)
		return false, nil
	}
	return true, nil
}

// load makes calls until stop is closed.
func load(c *cluster.Client, t *tally, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		name, err := work.Call(ctx, c, workMs)
		cancel()
		t.add(name, err)
	}
}

// detections are how long the client took to take a killed and a stopped
// server out of rotation, and to put a joining one in, and how long the
// membership took to drop the killed one.
type detections struct {
	kill, stop, join time.Duration
	killGossip       chan time.Duration // until the membership drops the killed server
}

// detect runs the changes: at 3 s it SIGKILLs s3, at 6 s it SIGSTOPs s4
// for 3 s, at 11 s it starts s6 (appended to *all); it measures each.
func detect(c *cluster.Client, servers []*child, all *[]*child) <-chan detections {
	out := make(chan detections, 1)
	go func() {
		d := detections{killGossip: make(chan time.Duration, 1)}
		time.Sleep(3 * time.Second)
		fmt.Println("-- SIGKILL s3")
		_ = servers[2].cmd.Process.Kill()
		go func() { d.killGossip <- timeUntil(func() bool { return !known(c, "s3") }) }()
		d.kill = timeUntil(func() bool { return !available(c, "s3") })
		time.Sleep(3*time.Second - d.kill)
		fmt.Println("-- SIGSTOP s4 for 3 s")
		_ = servers[3].cmd.Process.Signal(syscall.SIGSTOP)
		d.stop = timeUntil(func() bool { return !available(c, "s4") })
		time.Sleep(3*time.Second - d.stop)
		fmt.Println("-- SIGCONT s4")
		_ = servers[3].cmd.Process.Signal(syscall.SIGCONT)
		time.Sleep(2 * time.Second)
		fmt.Println("-- start s6")
		s6, err := startChild("s6", servers[0].gossip)
		if err != nil {
			fmt.Fprintln(os.Stderr, "example: s6:", err)
		} else {
			*all = append(*all, s6) // read by run only after out is received
			d.join = timeUntil(func() bool { return available(c, "s6") })
		}
		out <- d
	}()
	return out
}

func known(c *cluster.Client, id string) bool {
	return slices.ContainsFunc(c.Members(), func(m cluster.Member) bool { return m.ID == id })
}

func available(c *cluster.Client, id string) bool {
	return slices.ContainsFunc(c.Available(), func(m cluster.Member) bool { return m.ID == id })
}

// timeUntil polls cond every 10 ms (at most 10 s) and returns how long it
// took to hold.
func timeUntil(cond func() bool) time.Duration {
	start := time.Now()
	_ = waitFor(10*time.Second, cond)
	return time.Since(start).Round(10 * time.Millisecond)
}

func waitFor(limit time.Duration, cond func() bool) error {
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
	}
	return nil
}

// report prints one second's line: calls per server, failures, members.
func report(sec int, t *tally, c *cluster.Client) {
	per := t.take()
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range per {
			if !yield(n) {
				return
			}
		}
	})
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s=%d", n, per[n]))
	}
	seen := "?"
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	if ms, err := members.Call(ctx, c); err == nil {
		seen = strings.Join(ms, ",")
	}
	cancel()
	fmt.Printf("t=%2ds calls %s failed=%d | client sees %s, in rotation %s | a server sees %s\n",
		sec, strings.Join(parts, " "), t.failed.Load(), strings.Join(ids(c.Members()), ","), strings.Join(ids(c.Available()), ","), seen)
}
