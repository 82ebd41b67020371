package dlib

import "testing"

func TestPhotoThreads(t *testing.T) {
	for _, c := range []struct{ fixed, cpus, busy, want int }{
		{0, 2, 1, 2},  // one photo on two CPUs: both
		{0, 2, 2, 1},  // two photos: one each
		{0, 2, 5, 1},  // more photos than CPUs: still one
		{0, 1, 1, 1},  // one CPU
		{0, 16, 1, 4}, // capped
		{0, 8, 2, 4},
		{1, 8, 1, 1}, // fixed
		{3, 1, 4, 3},
		{9, 1, 1, MaxPhotoThreads},
		{0, 2, 0, 2}, // busy is at least this photo
	} {
		if got := photoThreads(c.fixed, c.cpus, c.busy); got != c.want {
			t.Errorf("photoThreads(fixed %d, cpus %d, busy %d) = %d, want %d", c.fixed, c.cpus, c.busy, got, c.want)
		}
	}
}
