// Package stats is the harness's arithmetic: medians, and 95% intervals of
// a median by the bootstrap, for the paired ratios that the bench command
// and compare print.
package stats

import (
	"math/rand/v2"
	"slices"
)

// Median returns the median of xs (0 for none).
func Median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return sortedMedian(s)
}

func sortedMedian(s []float64) float64 {
	n := len(s)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// resamples is how many bootstrap resamples an interval takes.
const resamples = 4000

// Interval returns a 95% interval for the median of xs by the percentile
// bootstrap: the 2.5th and 97.5th percentiles of the medians of resamples
// of xs drawn with replacement. The generator is seeded from the values
// themselves, so the same samples always give the same interval. With
// fewer than 3 values the interval is their range.
func Interval(xs []float64) (lo, hi float64) {
	n := len(xs)
	if n < 3 {
		if n == 0 {
			return 0, 0
		}
		return slices.Min(xs), slices.Max(xs)
	}
	var seed uint64
	for _, x := range xs {
		seed = seed*1099511628211 + uint64(x*1e6)
	}
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	meds := make([]float64, resamples)
	buf := make([]float64, n)
	for i := range meds {
		for j := range buf {
			buf[j] = xs[rng.IntN(n)]
		}
		slices.Sort(buf)
		meds[i] = sortedMedian(buf)
	}
	slices.Sort(meds)
	return meds[resamples*25/1000], meds[resamples*975/1000-1]
}

// Paired returns the ratios a[i]/b[i] of the pairs where both are present
// (above 0): one per round that measured both.
func Paired(a, b []float64) []float64 {
	var out []float64
	for i := range min(len(a), len(b)) {
		if a[i] > 0 && b[i] > 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}
