package stats

import (
	"math"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1}, 2}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(c.xs); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}

// TestInterval: the interval holds the median, lies within the samples'
// range, is the same for the same samples, narrows as samples agree, and
// falls back to the range below 3 samples.
func TestInterval(t *testing.T) {
	xs := []float64{1.00, 1.02, 0.98, 1.05, 0.97, 1.01, 1.30, 0.99, 1.03, 1.00}
	lo, hi := Interval(xs)
	m := Median(xs)
	if !(lo <= m && m <= hi) || lo < 0.97 || hi > 1.30 {
		t.Fatalf("Interval = [%v, %v] for median %v", lo, hi, m)
	}
	if lo2, hi2 := Interval(xs); lo2 != lo || hi2 != hi {
		t.Fatalf("not deterministic: [%v, %v] then [%v, %v]", lo, hi, lo2, hi2)
	}
	if hi-lo > 0.1 {
		t.Fatalf("interval [%v, %v] wider than the bulk of the samples", lo, hi)
	}
	same := []float64{2, 2, 2, 2, 2}
	if lo, hi := Interval(same); lo != 2 || hi != 2 {
		t.Fatalf("Interval of equal samples = [%v, %v]", lo, hi)
	}
	if lo, hi := Interval([]float64{3, 1}); lo != 1 || hi != 3 {
		t.Fatalf("Interval of two = [%v, %v], want their range", lo, hi)
	}
	wide := []float64{0.5, 1.5, 0.6, 1.4, 0.7, 1.3, 1.0}
	if lo, hi := Interval(wide); hi-lo < 0.3 {
		t.Fatalf("Interval of scattered samples = [%v, %v], too narrow", lo, hi)
	}
}

func TestPaired(t *testing.T) {
	got := Paired([]float64{2, 4, 0, 9}, []float64{1, 2, 5})
	want := []float64{2, 2}
	if len(got) != len(want) {
		t.Fatalf("Paired = %v, want %v", got, want)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("Paired = %v, want %v", got, want)
		}
	}
}
