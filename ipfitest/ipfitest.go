// Package ipfitest holds tools for testing programs built on package ipfi:
// two interfaces joined in memory (Pipe), and the slowest legal transport
// (OneByteAtATime).
package ipfitest

import (
	"io"
	"net"

	"github.com/ipfi-go/ipfi"
)

// Pipe connects a and b in memory (net.Pipe: synchronous, unbuffered) and
// returns a's wire and b's: two interfaces of one process, or a test's
// peers. opts (wire options) apply to both wires.
func Pipe(a, b *ipfi.Interface, opts ...ipfi.Option) (wa, wb *ipfi.Wire, err error) {
	ca, cb := net.Pipe()
	if wa, err = a.Connect(ca, ca, opts...); err != nil {
		ca.Close()
		cb.Close()
		return nil, nil, err
	}
	if wb, err = b.Connect(cb, cb, opts...); err != nil {
		wa.Close()
		cb.Close()
		return nil, nil, err
	}
	return wa, wb, nil
}

// OneByteAtATime wraps a transport so that every Read returns at most one
// byte and every Write is made one byte at a time: the slowest legal byte
// stream (a serial line, a radio, Morse code), for testing that nothing
// depends on how bytes are grouped. Closing it closes c.
func OneByteAtATime(c io.ReadWriteCloser) io.ReadWriteCloser { return oneByte{c} }

type oneByte struct{ c io.ReadWriteCloser }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.c.Read(p)
}

func (o oneByte) Write(p []byte) (int, error) {
	for i := range p {
		if _, err := o.c.Write(p[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

func (o oneByte) Close() error { return o.c.Close() }
