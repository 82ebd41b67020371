//go:build e2e

package e2e

import (
	"errors"
	"sync"
)

// cleanups is the suite's teardown list. Steps run last-in first-out,
// once, whether the run ends normally, after a failure or on a signal. A
// step added after the teardown ran (set-up still going when SIGINT came)
// runs at once, so nothing created late is left behind.
type cleanups struct {
	mu   sync.Mutex
	fns  []func() error
	done bool
}

func (c *cleanups) add(f func() error) error {
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return f()
	}
	c.fns = append(c.fns, f)
	c.mu.Unlock()
	return nil
}

// run tears everything down and reports every failure. Later calls wait
// for the first to finish and return nil.
func (c *cleanups) run() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return nil
	}
	c.done = true
	var errs []error
	for i := len(c.fns) - 1; i >= 0; i-- {
		errs = append(errs, c.fns[i]())
	}
	c.fns = nil
	return errors.Join(errs...)
}
