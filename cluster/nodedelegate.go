package cluster

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// nodeMeta is what a node advertises in memberlist's metadata, as JSON.
type nodeMeta struct {
	Network string            `json:"network,omitempty"`
	Addr    string            `json:"addr,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
}

// encodeMeta returns the metadata of a node, or an error matching
// ErrInvalidConfig if it is longer than memberlist allows.
func encodeMeta(network, addr string, tags map[string]string) ([]byte, error) {
	b, err := json.Marshal(nodeMeta{Network: network, Addr: addr, Tags: tags})
	if err != nil {
		return nil, fmt.Errorf("cluster: encoding node metadata: %w", err)
	}
	if len(b) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("%w: node metadata (network, address and tags) is %d bytes as JSON, more than memberlist's %d",
			ErrInvalidConfig, len(b), memberlist.MetaMaxSize)
	}
	return b, nil
}

// decodeMember returns the Member a node's metadata advertises; false if
// it advertises no IPFI address (a node that only watches, or not one of
// ours).
func decodeMember(name string, meta []byte) (Member, bool) {
	var m nodeMeta
	if json.Unmarshal(meta, &m) != nil || m.Addr == "" {
		return Member{}, false
	}
	if m.Network == "" {
		m.Network = "tcp"
	}
	return Member{ID: name, Network: m.Network, Addr: m.Addr, Tags: m.Tags}, true
}

// nodeDelegate is a Node as memberlist's Delegate and EventDelegate. Its
// methods are called from memberlist's goroutines, the events with
// memberlist's node lock held: they take only n.mu, and never block.
type nodeDelegate Node

// NodeMeta returns the node's metadata (encodeMeta has checked its size).
func (d *nodeDelegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.meta
}

func (d *nodeDelegate) NotifyMsg([]byte)                           {}
func (d *nodeDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *nodeDelegate) LocalState(join bool) []byte                { return nil }
func (d *nodeDelegate) MergeRemoteState(buf []byte, join bool)     {}

func (d *nodeDelegate) NotifyJoin(node *memberlist.Node)   { d.set(node) }
func (d *nodeDelegate) NotifyUpdate(node *memberlist.Node) { d.set(node) }

func (d *nodeDelegate) NotifyLeave(node *memberlist.Node) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.members[node.Name]; ok && !d.stopped {
		delete(d.members, node.Name)
		(*Node)(d).poke()
	}
}

// set records node as alive with its metadata.
func (d *nodeDelegate) set(node *memberlist.Node) {
	m, serves := decodeMember(node.Name, node.Meta)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	_, was := d.members[node.Name]
	switch {
	case serves:
		d.members[node.Name] = m
	case was:
		delete(d.members, node.Name)
	default:
		return
	}
	(*Node)(d).poke()
}
