package dlib

import "runtime"

// Option configures an Encoder.
type Option func(*config)

type config struct {
	workers      int
	lazyCNN      bool
	photoThreads int // 0: automatic (photoThreads in hogthreads.go)
}

// WithWorkers sets the number of workers (each with its own networks).
// The default is runtime.NumCPU().
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// WithPhotoThreads sets how many threads the HOG detector uses for one
// photo. The default (0) gives each photo the CPUs no other photo is
// using at the time, up to MaxPhotoThreads; 1 keeps every photo on one
// thread. Results do not depend on it.
func WithPhotoThreads(n int) Option { return func(c *config) { c.photoThreads = n } }

// WithCNN loads the CNN detector at start-up instead of on first use.
func WithCNN() Option { return func(c *config) { c.lazyCNN = false } }

func newConfig(opts []Option) config {
	c := config{workers: runtime.NumCPU(), lazyCNN: true}
	for _, o := range opts {
		o(&c)
	}
	if c.workers < 1 {
		c.workers = 1
	}
	if c.photoThreads < 0 {
		c.photoThreads = 0
	}
	return c
}
