package dlib

import "runtime"

// Option configures an Encoder.
type Option func(*config)

type config struct {
	workers int
	lazyCNN bool
}

// WithWorkers sets the number of workers (each with its own networks).
// The default is runtime.NumCPU().
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

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
	return c
}
