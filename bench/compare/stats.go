package main

import (
	"fmt"
	"math"
	"slices"
)

// stat summarises samples the way benchstat's old "± x%" did: the median,
// and the largest deviation from it relative to it (no outlier removal:
// with five noisy runs on a shared machine we would rather see the noise).
type stat struct {
	median, min, max float64
	n                int
}

func summarize(xs []float64) (stat, bool) {
	if len(xs) == 0 {
		return stat{}, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{median: m, min: s[0], max: s[len(s)-1], n: len(s)}, true
}

// spread is the largest deviation from the median, as a fraction of it.
func (s stat) spread() float64 {
	if s.median == 0 {
		return 0
	}
	return math.Max(s.median-s.min, s.max-s.median) / math.Abs(s.median)
}

// ratio of medians a/b with the range the samples allow (a.min/b.max to
// a.max/b.min), so a ratio whose range straddles 1 is visibly noise.
func ratio(a, b stat) (r, lo, hi float64) {
	return a.median / b.median, a.min / b.max, a.max / b.min
}

func geomean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range xs {
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(xs)))
}

// fmtNS prints a duration in ns with three significant digits and a unit.
func fmtNS(ns float64) string {
	switch a := math.Abs(ns); {
	case a >= 1e9:
		return fmt.Sprintf("%.3gs", ns/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.3gms", ns/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.3gµs", ns/1e3)
	}
	return fmt.Sprintf("%.3gns", ns)
}

// fmtStat prints "median ± spread%"; durations when ns is set.
func fmtStat(s stat, ns bool) string {
	v := fmt.Sprintf("%.4g", s.median)
	if ns {
		v = fmtNS(s.median)
	}
	if s.n < 2 {
		return v + " (1 run)"
	}
	return fmt.Sprintf("%s ± %.0f%%", v, 100*s.spread())
}
