package main

import (
	"context"
	"fmt"
	"net"
)

// system is one RPC implementation under test: its server and one client
// connected to it, both in this process, over loopback TCP.
type system interface {
	// op returns one operation of the named scenario, or nil if the system
	// takes no part in it. The operation checks the answer it gets. It is
	// safe for concurrent use when the scenario has several callers.
	op(scenario string) func(ctx context.Context) error
	// close stops the client and the server and waits for every goroutine
	// they started.
	close() error
}

// env is what systems are built from: the shared parameters and the bytes
// ipfi puts on the wire, which the raw baselines replay.
type env struct {
	streamLen int
	small     sample         // unary_small
	echoes    map[int]sample // the echoes by size: unary_64k, and the sweep's
}

// systemDef names a system and starts it.
type systemDef struct {
	name  string
	start func(ctx context.Context, e *env) (system, error)
	optIn bool // runs only when -systems names it
}

// systemDefs lists the systems in table order: ipfi first, then the
// baselines it is compared with.
var systemDefs = []systemDef{
	{"ipfi", startIPFI, false},
	{"ipfi_goroutine", startIPFIGoroutine, false},
	{"ipfi_recv", startIPFIRecv, false},
	{"raw", startRaw, false},
	{"rawmux", startRawMux, false},
	{"netrpc", startNetRPC, false},
	{"grpc", startGRPC, false},
	{"drpc", startDRPC, false},
	{"goplugin", startGoPlugin, false},
	{"ipfi_tls", startIPFITLS, true},
	{"ipfi_quic", startIPFIQUIC, true},
}

// lookupSystem returns the definition of the named system.
func lookupSystem(name string) (systemDef, error) {
	for _, d := range systemDefs {
		if d.name == name {
			return d, nil
		}
	}
	return systemDef{}, fmt.Errorf("bench: no system %q", name)
}

// listen opens a loopback TCP listener on a free port.
func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// makeEcho returns the echo argument of n bytes: a fixed, non-trivial
// pattern.
func makeEcho(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// checkEcho reports whether got is the echo of want. It compares the length
// and a few bytes, the same for every system: a full compare would add to
// every system's time what no RPC layer does.
func checkEcho(got, want []byte) error {
	if len(got) != len(want) || got[0] != want[0] || got[len(got)/2] != want[len(want)/2] || got[len(got)-1] != want[len(want)-1] {
		return fmt.Errorf("bench: echo of %d bytes came back as %d different bytes", len(want), len(got))
	}
	return nil
}

// checkName reports an unexpected answer to the small call.
func checkName(got string) error {
	if got != fullName {
		return fmt.Errorf("bench: small call answered %q, want %q", got, fullName)
	}
	return nil
}
