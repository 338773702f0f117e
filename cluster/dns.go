package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"time"
)

// ErrInvalidConfig is what the package returns, wrapped, when it is given
// a configuration that cannot work, such as a DNSConfig without a Name.
// A Watch that returns it does so at once, without retrying.
var ErrInvalidConfig = errors.New("cluster: invalid configuration")

// DNSConfig configures DNS.
type DNSConfig struct {
	// Name is the name to look up (required). A name that ends in a dot
	// ("svc.example.") is looked up as it is; any other goes through the
	// system's search domains.
	Name string
	// SRV looks up the SRV records of Name, its full name such as
	// "_ipfi._tcp.svc.example.": every address of every target is a
	// member, at the record's port. Otherwise DNS looks up the A and AAAA
	// records of Name: every address is a member, at Port.
	SRV bool
	// Port is the port of every address of A and AAAA records (required
	// then; ignored for SRV): "7000".
	Port string
	// Network is the members' network for Interface.Dial; "" is "tcp".
	Network string
	// Interval is how often DNS looks again, and how long one lookup may
	// take at most; 0 is 30 s.
	Interval time.Duration
	// Resolver does the lookups; nil is net.DefaultResolver. With its
	// StrictErrors set, a lookup of A and AAAA records of which one times
	// out fails as a whole instead of reporting the other's addresses
	// only.
	Resolver *net.Resolver
	// Logger gets a Warn for every failed lookup; nil logs nothing.
	Logger *slog.Logger
}

// DNS returns a Resolver that finds a service's members in DNS, through
// cfg.Resolver, and looks again every cfg.Interval.
//
// Its Watch returns an error wrapping ErrInvalidConfig at once if cfg
// lacks Name, lacks Port for A and AAAA records, or has a negative
// Interval. Otherwise it looks up at once and reports the members, then
// looks up again every Interval and reports the members whenever they
// differ from the last reported. Each member's ID and Addr are its
// "host:port" address; its Tags are nil. A name that does not exist, or
// has no records, is a service without members: Watch reports an empty
// set. Any other failure (a timeout, a server that fails or does not
// answer) is logged and changes nothing: the last set reported stays in
// force until a lookup succeeds. For SRV records, a target without
// addresses adds no member, and a target whose lookup fails fails the
// whole lookup. Watch returns ctx's error when ctx ends; it starts no
// goroutine of its own.
func DNS(cfg DNSConfig) Resolver { return dnsResolver{cfg: cfg} }

// dnsResolver is the Resolver DNS returns.
type dnsResolver struct{ cfg DNSConfig }

// Watch looks up the members until ctx ends; see DNS.
func (d dnsResolver) Watch(ctx context.Context, update func([]Member)) error {
	cfg, err := d.cfg.withDefaults()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	var last []Member
	reported := false
	for {
		ms, err := cfg.lookup(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			cfg.warn(ctx, err)
		case !reported || !sameMembers(ms, last):
			last, reported = ms, true
			update(slices.Clone(ms))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// withDefaults returns c checked, with its zero fields set.
func (c DNSConfig) withDefaults() (DNSConfig, error) {
	switch {
	case c.Name == "":
		return c, fmt.Errorf("%w: DNS needs a Name", ErrInvalidConfig)
	case !c.SRV && c.Port == "":
		return c, fmt.Errorf("%w: DNS needs a Port to look up A and AAAA records of %q", ErrInvalidConfig, c.Name)
	case c.Interval < 0:
		return c, fmt.Errorf("%w: DNS Interval %v is negative", ErrInvalidConfig, c.Interval)
	}
	if c.Network == "" {
		c.Network = "tcp"
	}
	if c.Interval == 0 {
		c.Interval = 30 * time.Second
	}
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	return c, nil
}

// lookup returns the members DNS holds now, sorted by ID, within ctx and
// Interval: none if the name does not exist or has no records, an error
// if the lookup failed.
func (c DNSConfig) lookup(ctx context.Context) ([]Member, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Interval)
	defer cancel()
	if c.SRV {
		return c.lookupSRV(ctx)
	}
	addrs, err := c.Resolver.LookupHost(ctx, c.Name)
	if err != nil {
		if dnsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return c.members(nil, addrs, c.Port), nil
}

// lookupSRV returns the members Name's SRV records hold now, sorted by ID.
func (c DNSConfig) lookupSRV(ctx context.Context) ([]Member, error) {
	_, srvs, err := c.Resolver.LookupSRV(ctx, "", "", c.Name)
	if err != nil {
		if dnsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var ms []Member
	for _, srv := range srvs {
		if srv.Target == "." { // the service is decidedly not offered here
			continue
		}
		addrs, err := c.Resolver.LookupHost(ctx, srv.Target)
		if err != nil && !dnsNotFound(err) {
			return nil, err
		}
		ms = c.members(ms, addrs, strconv.Itoa(int(srv.Port)))
	}
	return ms, nil
}

// members appends to ms a member for each address at port and returns
// them sorted by ID, each ID once.
func (c DNSConfig) members(ms []Member, addrs []string, port string) []Member {
	for _, a := range addrs {
		hp := net.JoinHostPort(a, port)
		ms = append(ms, Member{ID: hp, Network: c.Network, Addr: hp})
	}
	return slices.CompactFunc(sortMembers(ms), func(a, b Member) bool { return a.ID == b.ID })
}

// warn logs a failed lookup, if c has a Logger.
func (c DNSConfig) warn(ctx context.Context, err error) {
	if c.Logger == nil {
		return
	}
	c.Logger.LogAttrs(ctx, slog.LevelWarn, "cluster: DNS lookup failed",
		slog.String("name", c.Name), slog.Bool("srv", c.SRV), slog.Any("err", err))
}

// dnsNotFound reports whether err says the name does not exist or has no
// records of the type looked up, as opposed to a lookup that failed.
func dnsNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}
