//go:build !linux

package actors

import (
	"io"
	"net"
	"syscall"
)

// pollSocket reports no socket to read through the poller: the reading
// it enables is written for Linux's poller (readpoll_linux.go).
func pollSocket(io.Reader) (syscall.RawConn, net.Conn) { return nil, nil }

func (s *reading) poll() error { return net.ErrClosed }
