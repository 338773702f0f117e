package main

import (
	"fmt"
	"strconv"
	"strings"
)

// shape is what a unary scenario's operations are: which call, how many
// callers make it at once, and whether they share the system's one
// connection or have one each. Every system that answers a shape answers
// it the same way, so its scenarios need no case of their own.
type shape struct {
	size    int  // bytes echoed; 0: the small call, ("John", "Doe") -> "John Doe"
	callers int  // goroutines calling at once
	each    bool // a connection per caller (else all share the system's one)
}

// shapeOf returns the shape of the unary scenario named name, or false if
// name is no unary scenario. Besides the fixed names (unary_small,
// unary_64k, c64_one_conn, c64_conns) it reads the sweep's names:
//
//	echo_SIZE                one caller echoing SIZE (64, 1k, 4m)
//	small_cN_one|each        N callers making the small call
//	echo_SIZE_cN_one|each    N callers echoing SIZE
//
// "one": over one connection; "each": over a connection each.
func shapeOf(name string) (shape, bool) {
	switch name {
	case unarySmall:
		return shape{callers: 1}, true
	case unary64K:
		return shape{size: echoSize64K, callers: 1}, true
	case c64OneConn:
		return shape{callers: c64}, true
	case c64Conns:
		return shape{callers: c64, each: true}, true
	}
	parts := strings.Split(name, "_")
	var sh shape
	switch {
	case parts[0] == "small" && len(parts) == 3:
		parts = parts[1:]
	case parts[0] == "echo" && len(parts) == 2:
		n, ok := parseSize(parts[1])
		return shape{size: n, callers: 1}, ok
	case parts[0] == "echo" && len(parts) == 4:
		n, ok := parseSize(parts[1])
		if !ok {
			return shape{}, false
		}
		sh.size, parts = n, parts[2:]
	default:
		return shape{}, false
	}
	c, ok := strings.CutPrefix(parts[0], "c")
	n, err := strconv.Atoi(c)
	if !ok || err != nil || n <= 0 || (parts[1] != "one" && parts[1] != "each") {
		return shape{}, false
	}
	sh.callers, sh.each = n, parts[1] == "each"
	return sh, true
}

// name returns the sweep's name of sh (see shapeOf).
func (sh shape) name() string {
	if sh.callers == 1 && !sh.each && sh.size > 0 {
		return "echo_" + sizeName(sh.size)
	}
	conns := "one"
	if sh.each {
		conns = "each"
	}
	if sh.size == 0 {
		return fmt.Sprintf("small_c%d_%s", sh.callers, conns)
	}
	return fmt.Sprintf("echo_%s_c%d_%s", sizeName(sh.size), sh.callers, conns)
}

// what says what one operation of sh is, for its table.
func (sh shape) what() string {
	call := "small calls"
	if sh.size > 0 {
		call = sizeText(sh.size) + " echoed"
	}
	switch {
	case sh.callers == 1 && !sh.each:
		if sh.size == 0 {
			return `sequential round trips, ("John", "Doe") -> "John Doe"`
		}
		return "sequential round trips, " + call
	case sh.each:
		return fmt.Sprintf("%d callers with a connection each, %s", sh.callers, call)
	}
	return fmt.Sprintf("%d callers sharing one connection, %s", sh.callers, call)
}

// sizeName writes n bytes as scenario names do: 64, 1k, 4m.
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dm", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dk", n>>10)
	}
	return strconv.Itoa(n)
}

// parseSize reads a size as sizeName writes it.
func parseSize(s string) (int, bool) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"):
		s, mult = strings.TrimSuffix(s, "k"), 1<<10
	case strings.HasSuffix(s, "m"):
		s, mult = strings.TrimSuffix(s, "m"), 1<<20
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n * mult, true
}
