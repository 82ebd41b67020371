package main

import "testing"

func TestLambdaCPUs(t *testing.T) {
	for _, c := range []struct {
		mem  string
		cpus int
		want int
	}{
		{"1769", 2, 1}, // the default: one vCPU of time although two show
		{"1024", 2, 1},
		{"3538", 2, 2},
		{"3008", 2, 1},
		{"10240", 6, 5},
		{"10240", 2, 2}, // never more than the CPUs shown
		{"", 2, 0},      // not on Lambda: the encoder's default
		{"lots", 2, 0},
	} {
		if got := lambdaCPUs(c.mem, c.cpus); got != c.want {
			t.Errorf("lambdaCPUs(%q, %d) = %d, want %d", c.mem, c.cpus, got, c.want)
		}
	}
}
