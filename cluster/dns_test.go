package cluster

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The records the tests serve: svc.test. has A (and later AAAA) records;
// _ipfi._tcp.svc.test. has SRV records whose targets have A records.
const (
	dnsTestName    = "svc.test."
	dnsTestSRVName = "_ipfi._tcp.svc.test."
)

// dnsMode is how a dnsTestServer answers.
type dnsMode int

const (
	dnsAnswer   dnsMode = iota // answer from the records
	dnsDrop                    // answer nothing: the client times out
	dnsServFail                // answer SERVFAIL
)

// dnsTestServer is a DNS server on a loopback UDP port, in process, whose
// records and mode a test changes while a resolver looks them up.
type dnsTestServer struct {
	addr string // its "127.0.0.1:port"

	mu      sync.Mutex
	records map[string][]dns.RR // by lower-case full name; a name absent is NXDOMAIN
	mode    dnsMode
	queries map[string]int // by name and type, "svc.test. A"
	queried chan struct{}  // signalled after each query counted
}

// startDNSServer starts a dnsTestServer; the test's cleanup shuts it down
// and waits for it.
func startDNSServer(t *testing.T) *dnsTestServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsTestServer{
		addr:    pc.LocalAddr().String(),
		records: map[string][]dns.RR{},
		queries: map[string]int{},
		queried: make(chan struct{}, 1),
	}
	started := make(chan struct{})
	server := &dns.Server{PacketConn: pc, Handler: s, NotifyStartedFunc: func() { close(started) }}
	served := make(chan error, 1)
	go func() { served <- server.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-served:
		t.Fatalf("DNS server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := server.ShutdownContext(ctx); err != nil {
			t.Errorf("DNS server shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("DNS server: %v", err)
		}
	})
	return s
}

// ServeDNS answers r as the server's mode and records say.
func (s *dnsTestServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) != 1 {
		return
	}
	q := r.Question[0]
	s.mu.Lock()
	mode := s.mode
	rrs, exists := s.records[strings.ToLower(q.Name)]
	s.queries[strings.ToLower(q.Name)+" "+dns.TypeToString[q.Qtype]]++
	s.mu.Unlock()
	select {
	case s.queried <- struct{}{}:
	default:
	}

	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true // an empty answer is then "no records", not a lame referral
	switch {
	case mode == dnsDrop:
		return
	case mode == dnsServFail:
		m.Rcode = dns.RcodeServerFailure
	case !exists:
		m.Rcode = dns.RcodeNameError
	default:
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
	}
	_ = w.WriteMsg(m)
}

// set replaces the records of every name to the records given, in zone
// file syntax ("svc.test. 0 IN A 192.0.2.1"); a name without records is
// then NXDOMAIN.
func (s *dnsTestServer) set(t *testing.T, rrs ...string) {
	t.Helper()
	records := map[string][]dns.RR{}
	for _, text := range rrs {
		rr, err := dns.NewRR(text)
		if err != nil {
			t.Fatalf("record %q: %v", text, err)
		}
		name := strings.ToLower(rr.Header().Name)
		records[name] = append(records[name], rr)
	}
	s.mu.Lock()
	s.records = records
	s.mu.Unlock()
}

// setMode makes the server answer as mode says from now on.
func (s *dnsTestServer) setMode(mode dnsMode) {
	s.mu.Lock()
	s.mode = mode
	s.mu.Unlock()
}

// waitQueries waits, up to 5 s, until the server has had n queries of
// key ("svc.test. A").
func (s *dnsTestServer) waitQueries(t *testing.T, key string, n int) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		got := s.queries[key]
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-s.queried:
		case <-timeout:
			t.Fatalf("%d queries of %s within 5 s, want %d", got, key, n)
		}
	}
}

// resolver returns a Go resolver that sends every query to the server.
func (s *dnsTestServer) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", s.addr)
		},
	}
}

// dnsWatch is a Watch running in its own goroutine, its updates on a
// channel.
type dnsWatch struct {
	updates chan []Member
	cancel  context.CancelFunc
	done    chan error
}

// startDNSWatch runs r's Watch, for at most 20 s; the test's cleanup stops it
// and checks that it returned ctx's error.
func startDNSWatch(t *testing.T, r Resolver) *dnsWatch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	w := &dnsWatch{updates: make(chan []Member, 16), cancel: cancel, done: make(chan error, 1)}
	go func() {
		w.done <- r.Watch(ctx, func(ms []Member) {
			select {
			case w.updates <- slices.Clone(ms):
			case <-ctx.Done():
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-w.done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Watch returned %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Watch did not return within 5 s of cancel")
		}
	})
	return w
}

// next returns the next update, waiting up to 5 s.
func (w *dnsWatch) next(t *testing.T) []Member {
	t.Helper()
	select {
	case ms := <-w.updates:
		return ms
	case err := <-w.done:
		t.Fatalf("Watch returned %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no update within 5 s")
	}
	return nil
}

// expect checks that the next update holds members at exactly the
// addresses given, in network.
func (w *dnsWatch) expect(t *testing.T, network string, addrs ...string) {
	t.Helper()
	want := make([]Member, len(addrs))
	for i, a := range addrs {
		want[i] = Member{ID: a, Network: network, Addr: a}
	}
	got := w.next(t)
	if !sameMembers(got, want) {
		t.Fatalf("update = %v, want %v", got, want)
	}
}

// expectNone checks that no update is waiting.
func (w *dnsWatch) expectNone(t *testing.T) {
	t.Helper()
	select {
	case ms := <-w.updates:
		t.Fatalf("unexpected update %v", ms)
	default:
	}
}

// TestDNSARecords: A/AAAA lookups report every address at Port, in "tcp",
// at once; an unchanged set is not reported again; a change of records is
// reported within a few Intervals.
func TestDNSARecords(t *testing.T) {
	s := startDNSServer(t)
	s.set(t, dnsTestName+" 0 IN A 192.0.2.1", dnsTestName+" 0 IN AAAA 2001:db8::1")
	w := startDNSWatch(t, DNS(DNSConfig{Name: dnsTestName, Port: "7000", Interval: 50 * time.Millisecond, Resolver: s.resolver()}))
	w.expect(t, "tcp", "192.0.2.1:7000", "[2001:db8::1]:7000")

	// Lookup 3 has begun: lookup 2, which found the same set, is over.
	s.waitQueries(t, dnsTestName+" A", 3)
	w.expectNone(t)

	// Only the A records change: the A and AAAA queries of one lookup
	// cannot see a mix of old and new records.
	s.set(t, dnsTestName+" 0 IN A 192.0.2.2", dnsTestName+" 0 IN A 192.0.2.3", dnsTestName+" 0 IN AAAA 2001:db8::1")
	w.expect(t, "tcp", "192.0.2.2:7000", "192.0.2.3:7000", "[2001:db8::1]:7000")
}

// TestDNSSRVRecords: SRV lookups report every address of every target at
// the record's port, in the configured Network, without a Port; a change
// of SRV records is reported.
func TestDNSSRVRecords(t *testing.T) {
	s := startDNSServer(t)
	targets := []string{
		"a.svc.test. 0 IN A 192.0.2.1",
		"b.svc.test. 0 IN A 192.0.2.2",
		"b.svc.test. 0 IN A 192.0.2.22",
		"c.svc.test. 0 IN A 192.0.2.3",
	}
	s.set(t, append(targets,
		dnsTestSRVName+" 0 IN SRV 0 0 7001 a.svc.test.",
		dnsTestSRVName+" 0 IN SRV 0 0 7002 b.svc.test.",
	)...)
	w := startDNSWatch(t, DNS(DNSConfig{Name: dnsTestSRVName, SRV: true, Network: "tcp4", Interval: 50 * time.Millisecond, Resolver: s.resolver()}))
	w.expect(t, "tcp4", "192.0.2.1:7001", "192.0.2.2:7002", "192.0.2.22:7002")

	s.set(t, append(targets,
		dnsTestSRVName+" 0 IN SRV 0 0 7002 b.svc.test.",
		dnsTestSRVName+" 0 IN SRV 0 0 7003 c.svc.test.",
		dnsTestSRVName+" 0 IN SRV 0 0 7004 gone.svc.test.", // no addresses: no member
	)...)
	w.expect(t, "tcp4", "192.0.2.2:7002", "192.0.2.22:7002", "192.0.2.3:7003")
}

// TestDNSServerFailureKeepsLastSet: while the server does not answer, or
// answers SERVFAIL, every lookup is logged at Warn and nothing is
// reported (no empty set); once it answers again, its records are.
func TestDNSServerFailureKeepsLastSet(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode dnsMode
	}{
		{"NoAnswer", dnsDrop},
		{"ServFail", dnsServFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startDNSServer(t)
			s.set(t, dnsTestName+" 0 IN A 192.0.2.1", dnsTestName+" 0 IN A 192.0.2.2")
			logs := &dnsLogCapture{records: make(chan slog.Record, 64)}
			w := startDNSWatch(t, DNS(DNSConfig{
				Name: dnsTestName, Port: "7000", Interval: 100 * time.Millisecond,
				Resolver: s.resolver(), Logger: slog.New(logs),
			}))
			w.expect(t, "tcp", "192.0.2.1:7000", "192.0.2.2:7000")

			s.setMode(tc.mode)
			for range 3 {
				select {
				case r := <-logs.records:
					if r.Level != slog.LevelWarn || !dnsLogHas(r, "name", dnsTestName) {
						t.Fatalf("logged %v %q, want a Warn naming %s", r.Level, r.Message, dnsTestName)
					}
				case ms := <-w.updates:
					t.Fatalf("update %v while the server fails", ms)
				case <-time.After(5 * time.Second):
					t.Fatal("no Warn within 5 s of the server failing")
				}
			}
			// Three lookups failed; any update they made is waiting.
			w.expectNone(t)

			s.set(t, dnsTestName+" 0 IN A 192.0.2.3")
			s.setMode(dnsAnswer)
			w.expect(t, "tcp", "192.0.2.3:7000")
		})
	}
}

// TestDNSNoRecordsIsEmptySet: once the name no longer exists (NXDOMAIN)
// or has no records of the type looked up, Watch reports an empty set,
// and logs nothing.
func TestDNSNoRecordsIsEmptySet(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   DNSConfig
		had   []string
		after []string
	}{
		{
			name:  "ANXDOMAIN",
			cfg:   DNSConfig{Name: dnsTestName, Port: "7000"},
			had:   []string{dnsTestName + " 0 IN A 192.0.2.1"},
			after: nil,
		},
		{
			name:  "ANoRecords",
			cfg:   DNSConfig{Name: dnsTestName, Port: "7000"},
			had:   []string{dnsTestName + " 0 IN A 192.0.2.1"},
			after: []string{dnsTestName + ` 0 IN TXT "no addresses"`},
		},
		{
			name:  "SRVNXDOMAIN",
			cfg:   DNSConfig{Name: dnsTestSRVName, SRV: true},
			had:   []string{dnsTestSRVName + " 0 IN SRV 0 0 7001 a.svc.test.", "a.svc.test. 0 IN A 192.0.2.1"},
			after: []string{"a.svc.test. 0 IN A 192.0.2.1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startDNSServer(t)
			s.set(t, tc.had...)
			logs := &dnsLogCapture{records: make(chan slog.Record, 64)}
			cfg := tc.cfg
			cfg.Interval, cfg.Resolver, cfg.Logger = 50*time.Millisecond, s.resolver(), slog.New(logs)
			w := startDNSWatch(t, DNS(cfg))
			if got := w.next(t); len(got) != 1 {
				t.Fatalf("first update = %v, want one member", got)
			}

			s.set(t, tc.after...)
			if got := w.next(t); len(got) != 0 {
				t.Fatalf("update = %v, want an empty set", got)
			}
			select {
			case r := <-logs.records:
				t.Fatalf("logged %v %q: a name without records is no failure", r.Level, r.Message)
			default:
			}
		})
	}
}

// TestDNSInvalidConfig: a config without Name, A/AAAA without Port, or a
// negative Interval makes Watch return an error matching ErrInvalidConfig
// at once, without calling update.
func TestDNSInvalidConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  DNSConfig
	}{
		{"NoName", DNSConfig{Port: "7000"}},
		{"NoNameSRV", DNSConfig{SRV: true}},
		{"NoPort", DNSConfig{Name: dnsTestName}},
		{"NegativeInterval", DNSConfig{Name: dnsTestName, Port: "7000", Interval: -time.Second}},
		{"NegativeIntervalSRV", DNSConfig{Name: dnsTestSRVName, SRV: true, Interval: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			err := DNS(tc.cfg).Watch(ctx, func(ms []Member) { t.Errorf("update(%v) with an invalid config", ms) })
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Watch returned %v, want ErrInvalidConfig", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("Watch took %v to refuse the config", d)
			}
		})
	}
}

// TestDNSEndedContext: Watch with a ctx that has ended returns its error
// at once and reports nothing.
func TestDNSEndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := DNS(DNSConfig{Name: dnsTestName, Port: "7000"}).Watch(ctx, func([]Member) {
		t.Error("update called with ctx ended")
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v, want context.Canceled", err)
	}
}

// dnsLogCapture is a slog.Handler that puts every record on a channel,
// dropping those that find it full.
type dnsLogCapture struct{ records chan slog.Record }

func (h *dnsLogCapture) Enabled(context.Context, slog.Level) bool { return true }

func (h *dnsLogCapture) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.records <- r.Clone():
	default:
	}
	return nil
}

// dnsLogHas reports whether r has the attribute key=value.
func dnsLogHas(r slog.Record, key, value string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key && a.Value.String() == value
		return !found
	})
	return found
}

func (h *dnsLogCapture) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *dnsLogCapture) WithGroup(string) slog.Handler      { return h }
