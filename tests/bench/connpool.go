package main

import (
	"context"
	"errors"
	"fmt"
)

// connPool gives each caller of a shape with a connection per caller a
// client connection of its own: an operation takes one and puts it back,
// and with as many connections as callers none ever waits for another.
type connPool[T any] struct {
	ch  chan T
	all []T
}

// newConnPool opens n connections with dial; on a failure it closes those
// it opened and returns the error. It fails at once if n connections, both
// ends in this process, do not fit the open-file limit.
func newConnPool[T any](n int, dial func() (T, error), closeOne func(T) error) (*connPool[T], error) {
	if room, err := fitPairs(n); err != nil || room < n {
		return nil, errors.Join(fmt.Errorf("bench: %d connections, both ends in this process, do not fit the open-file limit", n), err)
	}
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

// lazyPool is a system's pool for one shape's callers, opened when the
// shape's operation is first asked for (op).
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

// callerPools are a system's pools for the shapes with a connection per
// caller, by number of callers: the shapes with as many callers share one
// pool (small_c1000_each and echo_1k_c1000_each the same thousand
// connections), and no caller ever sees another shape's connections.
type callerPools[T any] map[int]*lazyPool[T]

// op returns the operation of a shape of n callers (see lazyPool.op).
func (m callerPools[T]) op(n int, dial func() (T, error), closeOne func(T) error, f func(T) error) func() error {
	l := m[n]
	if l == nil {
		l = new(lazyPool[T])
		m[n] = l
	}
	return l.op(n, dial, closeOne, f)
}

// close closes every pool's connections.
func (m callerPools[T]) close(closeOne func(T) error) error {
	var err error
	for _, l := range m {
		err = errors.Join(err, l.p.close(closeOne))
	}
	return err
}

// shapeOp returns the operation of a unary shape for a system whose client
// connections are Cs: call over the system's connection one, or, with a
// connection per caller, over one of sh.callers connections from pools
// (opened with dial, closed with closeOne).
func shapeOp[C any](sh shape, one C, pools callerPools[C], dial func() (C, error), closeOne func(C) error, call func(context.Context, C) error) func(context.Context) error {
	if !sh.each {
		return func(ctx context.Context) error { return call(ctx, one) }
	}
	ctx := context.Background()
	do := pools.op(sh.callers, dial, closeOne, func(c C) error { return call(ctx, c) })
	return func(context.Context) error { return do() }
}
