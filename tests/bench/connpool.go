package main

import "errors"

// connPool gives each caller of a many-connections scenario (c64Conns) a
// client connection of its own: an operation takes one and puts it back,
// and with as many connections as callers none ever waits for another.
type connPool[T any] struct {
	ch  chan T
	all []T
}

// newConnPool opens n connections with dial; on a failure it closes those
// it opened and returns the error.
func newConnPool[T any](n int, dial func() (T, error), closeOne func(T) error) (*connPool[T], error) {
	p := &connPool[T]{ch: make(chan T, n)}
	for range n {
		c, err := dial()
		if err != nil {
			return nil, errors.Join(err, p.close(closeOne))
		}
		p.all = append(p.all, c)
		p.ch <- c
	}
	return p, nil
}

// do runs f with a connection of the pool.
func (p *connPool[T]) do(f func(T) error) error {
	c := <-p.ch
	defer func() { p.ch <- c }()
	return f(c)
}

// close closes every connection of the pool (nil: none).
func (p *connPool[T]) close(closeOne func(T) error) error {
	if p == nil {
		return nil
	}
	var err error
	for _, c := range p.all {
		err = errors.Join(err, closeOne(c))
	}
	p.all = nil
	return err
}

// lazyPool is a system's pool for the many-connections scenario, opened
// when the scenario's operation is first asked for (op).
type lazyPool[T any] struct {
	p   *connPool[T]
	err error
}

// op returns the scenario's operation: f with a connection of the pool,
// which it opens first (n connections with dial); a failure to open is the
// operation's error.
func (l *lazyPool[T]) op(n int, dial func() (T, error), closeOne func(T) error, f func(T) error) func() error {
	if l.p == nil && l.err == nil {
		l.p, l.err = newConnPool(n, dial, closeOne)
	}
	return func() error {
		if l.err != nil {
			return l.err
		}
		return l.p.do(f)
	}
}
