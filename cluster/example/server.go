package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/ipfi-go/ipfi"
	"github.com/ipfi-go/ipfi/cluster"
)

// serverEnv, set in a child's environment, makes the program a server:
// its value is the server's name, and seedEnv its seed's gossip address.
const (
	serverEnv = "CLUSTER_EXAMPLE_SERVER"
	seedEnv   = "CLUSTER_EXAMPLE_SEED"
)

// The procedures every server offers.
var (
	work    = ipfi.Proc1[int, string]{Index: 1, Idempotent: true} // n -> the server's name, after a moment's work
	members = ipfi.Proc0[[]string]{Index: 2}                      // the members the server sees
)

// serve runs the program as a server named name: it serves IPFI on a
// loopback port, joins the cluster through seed (none for the first) and
// prints its gossip address on stdout; SIGTERM makes it leave and drain.
func serve(name, seed string) error {
	i, err := ipfi.New()
	if err != nil {
		return err
	}
	defer i.Close()
	var node *cluster.Node
	if err := work.Register(i, func(ctx context.Context, n int) (string, error) {
		select {
		case <-time.After(time.Duration(n) * time.Millisecond):
			return name, nil
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
	}); err != nil {
		return err
	}
	if err := members.Register(i, func(context.Context) ([]string, error) { return ids(node.Members()), nil }); err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go i.Serve(context.Background(), l) // returns as i shuts down
	cfg := cluster.NodeConfig{Name: name, Addr: l.Addr().String(), Memberlist: gossipConfig(), Interface: i}
	if seed != "" {
		cfg.Seeds = []string{seed}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if node, err = cluster.Join(ctx, cfg); err != nil {
		return err
	}
	fmt.Println("gossip", node.GossipAddr())
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, os.Interrupt)
	<-term
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	return node.Shutdown(sctx)
}

// child is a server started as a child process.
type child struct {
	name   string
	cmd    *exec.Cmd
	gossip string
}

// startChild starts a server named name that joins through seed, and
// waits for it to print its gossip address.
func startChild(name, seed string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), serverEnv+"="+name, seedEnv+"="+seed)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("server %s printed no gossip address", name)
	}
	gossip, ok := strings.CutPrefix(lines.Text(), "gossip ")
	if !ok {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("server %s printed %q, want its gossip address", name, lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return &child{name: name, cmd: cmd, gossip: gossip}, nil
}

// stop ends the child: SIGTERM (it leaves and drains), SIGKILL if it has
// not exited within 5 s. A stopped (SIGSTOP) child is continued first.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGCONT)
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// gossipConfig is memberlist's configuration for one machine
// (cluster.LocalConfig), each broadcast retransmitted more (so that a
// join reaches every member by gossip, not at the next full sync) and a
// full sync every 5 s instead of 15 s.
func gossipConfig() *memberlist.Config {
	c := cluster.LocalConfig()
	c.RetransmitMult = 4
	c.PushPullInterval = 5 * time.Second
	return c
}

func ids(ms []cluster.Member) []string {
	out := make([]string, len(ms))
	for k, m := range ms {
		out[k] = m.ID
	}
	return out
}
