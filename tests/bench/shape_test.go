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

func TestStreamShapeNames(t *testing.T) {
	cases := map[string]streamShape{
		"stream_10k_of_1k": {count: 10_000, size: 1 << 10},
		"stream_1k_of_16k": {count: 1000, size: 16 << 10},
		"stream_50_of_64":  {count: 50, size: 64},
		"stream_2m_of_4m":  {count: 2_000_000, size: 4 << 20},
	}
	for name, want := range cases {
		got, ok := streamShapeOf(name)
		if !ok || got != want {
			t.Errorf("streamShapeOf(%q) = %+v, %v; want %+v", name, got, ok, want)
		}
		if got.name() != name {
			t.Errorf("streamShapeOf(%q).name() = %q", name, got.name())
		}
	}
	for _, bad := range []string{stream100K, "stream_10k", "stream_10k_of_", "stream_0_of_1k", "stream_x_of_1k", "echo_1k", "stream_1k_of_1k_of_1k"} {
		if _, ok := streamShapeOf(bad); ok {
			t.Errorf("streamShapeOf(%q) is a stream shape", bad)
		}
	}
}

// TestSweepNames checks that every scenario of the sweep has a shape, is
// named as its shape names it, and has a batch.
func TestSweepNames(t *testing.T) {
	c := sweepConfig()
	scs := c.scenarios()
	if len(scs) != len(sweepList) {
		t.Fatalf("%d scenarios, want %d", len(scs), len(sweepList))
	}
	seen := map[string]bool{}
	for _, sc := range scs {
		if seen[sc.name] {
			t.Errorf("%s twice", sc.name)
		}
		seen[sc.name] = true
		if sh, ok := shapeOf(sc.name); ok && (sh.name() != sc.name || sc.callers != sh.callers) {
			t.Errorf("%s: shape %+v named %q, %d callers", sc.name, sh, sh.name(), sc.callers)
		}
		if st, ok := streamShapeOf(sc.name); ok && (st.name() != sc.name || sc.items != st.count) {
			t.Errorf("%s: stream shape %+v named %q, %d items", sc.name, st, st.name(), sc.items)
		}
		if sc.batch < 1 || c.batches[sc.name] != sc.batch {
			t.Errorf("%s: batch %d", sc.name, sc.batch)
		}
	}
}
