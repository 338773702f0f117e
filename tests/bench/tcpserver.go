package main

import (
	"net"
	"sync"
)

// tcpServer accepts loopback connections and runs a handler goroutine for
// each; close stops accepting, closes every connection and waits for every
// goroutine it started. The hand-written baselines and net/rpc share it.
type tcpServer struct {
	l     net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// serveTCP starts accepting on a new loopback listener; handle owns each
// connection until it returns (the server closes it then).
func serveTCP(handle func(net.Conn)) (*tcpServer, error) {
	l, err := listen()
	if err != nil {
		return nil, err
	}
	s := &tcpServer{l: l, conns: make(map[net.Conn]struct{})}
	s.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.conns == nil { // closed meanwhile
				s.mu.Unlock()
				c.Close()
				return
			}
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Go(func() {
				handle(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			})
		}
	})
	return s, nil
}

// addr returns the address clients dial.
func (s *tcpServer) addr() string { return s.l.Addr().String() }

// close stops the server; see tcpServer.
func (s *tcpServer) close() error {
	err := s.l.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
	s.wg.Wait()
	return err
}
