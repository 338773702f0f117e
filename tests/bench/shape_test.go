package main

import "testing"

func TestShapeNames(t *testing.T) {
	cases := map[string]shape{
		unarySmall:           {callers: 1},
		unary64K:             {size: 64 << 10, callers: 1},
		c64OneConn:           {callers: 64},
		c64Conns:             {callers: 64, each: true},
		"echo_64":            {size: 64, callers: 1},
		"echo_4m":            {size: 4 << 20, callers: 1},
		"small_c1000_each":   {callers: 1000, each: true},
		"echo_1k_c100_one":   {size: 1 << 10, callers: 100},
		"echo_16k_c100_each": {size: 16 << 10, callers: 100, each: true},
	}
	for name, want := range cases {
		got, ok := shapeOf(name)
		if !ok || got != want {
			t.Errorf("shapeOf(%q) = %+v, %v; want %+v", name, got, ok, want)
		}
	}
	for _, name := range []string{"echo_1k", "small_c1000_each", "echo_16k_c100_one"} {
		if sh, _ := shapeOf(name); sh.name() != name {
			t.Errorf("shapeOf(%q).name() = %q", name, sh.name())
		}
	}
	for _, bad := range []string{"stream_100k", connectCall, "echo_", "echo_x", "small_c0_one", "small_c4_two", "echo_1k_c4"} {
		if _, ok := shapeOf(bad); ok {
			t.Errorf("shapeOf(%q) is a shape", bad)
		}
	}
}
