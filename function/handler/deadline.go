package handler

import (
	"context"
	"time"
)

// Default safety margin: the larger of DefaultMinMargin and
// DefaultMarginFraction of the time remaining when the invocation starts.
const (
	DefaultMinMargin      = time.Second
	DefaultMarginFraction = 0.05
)

// margin is how much of the remaining time to keep back for writing
// results after the work deadline has passed.
func margin(remaining, minMargin time.Duration, fraction float64) time.Duration {
	return max(minMargin, time.Duration(fraction*float64(remaining)))
}

// workContext returns a context whose deadline is ctx's minus the safety
// margin, and the margin. Reads and encoding run under it; result writes
// run under ctx, so that a record that ran out of time still gets its
// "timeout" result written before Lambda kills the process. Without a
// deadline on ctx the work context has none either.
func (h *Handler) workContext(ctx context.Context) (context.Context, context.CancelFunc, time.Duration) {
	deadline, ok := ctx.Deadline()
	if !ok {
		c, cancel := context.WithCancel(ctx)
		return c, cancel, 0
	}
	m := margin(time.Until(deadline), h.minMargin, h.marginFraction)
	c, cancel := context.WithDeadline(ctx, deadline.Add(-m))
	return c, cancel, m
}
