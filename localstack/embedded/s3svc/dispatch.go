package s3svc

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// delivery is one event for one function.
type delivery struct {
	functionARN string
	payload     []byte
	bucket, key string // for logs
	event       string
}

// DeliveryStats counts notification deliveries since the service started.
type DeliveryStats struct {
	Delivered int // accepted by the Invoker
	Failed    int // given up after retries, or dropped at Close; each one is logged
	Pending   int // queued or being delivered
}

// Delivery tuning. S3 retries a failing destination for a while; a local
// stack only needs to ride out a function that is still being created.
const (
	deliveryAttempts = 3
	deliveryBackoff  = 200 * time.Millisecond
	closeGrace       = 5 * time.Second
)

// dispatcher delivers events in order on one goroutine, so that enqueueing
// (in the request path) never waits for the Invoker.
type dispatcher struct {
	inv Invoker
	log *slog.Logger

	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	queue     []delivery
	inFlight  bool
	closed    bool
	wake      chan struct{} // capacity 1: "the queue changed"
	idle      chan struct{} // closed while nothing is queued or in flight
	delivered int
	failed    int
}

func newDispatcher(inv Invoker, log *slog.Logger) *dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	d := &dispatcher{
		inv: inv, log: log, ctx: ctx, cancel: cancel,
		done: make(chan struct{}), wake: make(chan struct{}, 1), idle: make(chan struct{}),
	}
	close(d.idle)
	go d.run()
	return d
}

// enqueue queues deliveries; it never blocks on delivery. After Close the
// deliveries are counted as failed and logged.
func (d *dispatcher) enqueue(ds ...delivery) {
	if len(ds) == 0 {
		return
	}
	d.mu.Lock()
	if d.closed {
		d.failed += len(ds)
		d.mu.Unlock()
		for _, dl := range ds {
			d.log.Error("S3 notification dropped: the service is closed",
				"function", dl.functionARN, "bucket", dl.bucket, "key", dl.key, "event", dl.event)
		}
		return
	}
	if d.isIdleLocked() {
		d.idle = make(chan struct{})
	}
	d.queue = append(d.queue, ds...)
	d.mu.Unlock()
	d.signal()
}

func (d *dispatcher) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) isIdleLocked() bool { return len(d.queue) == 0 && !d.inFlight }

func (d *dispatcher) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		if len(d.queue) == 0 {
			closed := d.closed
			d.mu.Unlock()
			if closed {
				return
			}
			<-d.wake
			continue
		}
		dl := d.queue[0]
		d.queue[0] = delivery{}
		d.queue = d.queue[1:]
		d.inFlight = true
		d.mu.Unlock()

		ok := d.deliver(dl)

		d.mu.Lock()
		d.inFlight = false
		if ok {
			d.delivered++
		} else {
			d.failed++
		}
		if d.isIdleLocked() {
			close(d.idle)
		}
		d.mu.Unlock()
	}
}

// deliver tries dl a few times with backoff and logs the outcome.
func (d *dispatcher) deliver(dl delivery) bool {
	var err error
	backoff := deliveryBackoff
	for attempt := 1; attempt <= deliveryAttempts; attempt++ {
		if err = d.invoke(dl); err == nil {
			d.log.Debug("S3 notification delivered",
				"function", dl.functionARN, "bucket", dl.bucket, "key", dl.key, "event", dl.event, "attempt", attempt)
			return true
		}
		if attempt == deliveryAttempts || d.ctx.Err() != nil {
			break
		}
		d.log.Warn("S3 notification failed, retrying",
			"function", dl.functionARN, "bucket", dl.bucket, "key", dl.key, "attempt", attempt, "err", err)
		select {
		case <-time.After(backoff):
		case <-d.ctx.Done():
		}
		backoff *= 2
	}
	d.log.Error("S3 notification not delivered",
		"function", dl.functionARN, "bucket", dl.bucket, "key", dl.key, "event", dl.event, "err", err)
	return false
}

// invoke calls the Invoker, turning a panic into an error: a broken
// destination must not take the whole stack down.
func (d *dispatcher) invoke(dl delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("invoker panicked: %v", p)
		}
	}()
	return d.inv.InvokeAsync(d.ctx, dl.functionARN, dl.payload)
}

// waitIdle blocks until every queued delivery has been attempted.
func (d *dispatcher) waitIdle(ctx context.Context) error {
	d.mu.Lock()
	idle := d.idle
	d.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *dispatcher) stats() DeliveryStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	pending := len(d.queue)
	if d.inFlight {
		pending++
	}
	return DeliveryStats{Delivered: d.delivered, Failed: d.failed, Pending: pending}
}

// close stops taking deliveries and drains the queue, giving the Invoker
// closeGrace before cancelling what is left (which then fails and is logged).
func (d *dispatcher) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		<-d.done
		return
	}
	d.closed = true
	d.mu.Unlock()
	d.signal()
	select {
	case <-d.done:
	case <-time.After(closeGrace):
		d.log.Warn("S3 notifications still pending at close; cancelling them")
		d.cancel()
		<-d.done
	}
	d.cancel()
}
