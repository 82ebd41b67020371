package lambdasvc

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// maxDeadLetters bounds the dead-letter list; the oldest go first.
const maxDeadLetters = 1000

// DeadLetter is an asynchronous event Lambda gave up on.
type DeadLetter struct {
	Function  string
	RequestID string
	Payload   []byte
	Attempts  int    // invocations made (0 when it never ran)
	Reason    string // why it was dropped
	// ErrorType and ErrorMessage are from the last attempt's error document.
	ErrorType    string
	ErrorMessage string
	Time         time.Time
}

// asyncTracker counts queued and running async events, for WaitIdle.
type asyncTracker struct {
	mu      sync.Mutex
	pending int
	idle    chan struct{} // closed while pending == 0
}

func (t *asyncTracker) init() {
	t.idle = make(chan struct{})
	close(t.idle)
}

func (t *asyncTracker) add() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending == 0 {
		t.idle = make(chan struct{})
	}
	t.pending++
}

func (t *asyncTracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending--
	if t.pending == 0 {
		close(t.idle)
	}
}

func (t *asyncTracker) wait() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.idle
}

// InvokeAsync queues an event for function (name or ARN), like Invoke with
// InvocationType Event: it returns once the event is queued. The event runs
// in the function's pool and is retried on failure up to the function's
// MaximumRetryAttempts (default 2), then dropped to DeadLetters. Errors are
// ErrFunctionNotFound, ErrInvalidPayload, ErrPayloadTooLarge and ErrClosed.
func (s *Service) InvokeAsync(ctx context.Context, function string, payload []byte) error {
	_, err := s.enqueue(ctx, function, payload)
	return err
}

type asyncEvent struct {
	function string
	req      invokeRequest
	queued   time.Time
}

func (s *Service) enqueue(_ context.Context, function string, payload []byte) (string, error) {
	f, aerr := s.lookup(function, "")
	if aerr != nil {
		return "", aerr
	}
	payload, aerr = checkPayload(payload, maxAsyncPayload)
	if aerr != nil {
		return "", aerr
	}
	ev := asyncEvent{
		function: f.name,
		req:      invokeRequest{requestID: newUUID(), payload: payload, traceID: newTraceID()},
		queued:   time.Now(),
	}
	// Register under s.mu so Close, which sets closed under it, either sees
	// this event in its wait or refuses it here.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", ErrClosed
	}
	s.async.add()
	s.wg.Add(1)
	s.mu.Unlock()
	go s.deliver(ev)
	return ev.req.requestID, nil
}

// deliver runs an async event with retries.
func (s *Service) deliver(ev asyncEvent) {
	defer s.wg.Done()
	defer s.async.done()
	log := s.log.With("function", ev.function, "request_id", ev.req.requestID)
	var last InvokeResult
	for attempt := 1; ; attempt++ {
		f, aerr := s.lookup(ev.function, "")
		if aerr != nil {
			s.drop(ev, attempt-1, last, "the function no longer exists: "+aerr.msg)
			return
		}
		retries, maxAge := f.asyncLimits()
		if age := time.Since(ev.queued); age > maxAge {
			s.drop(ev, attempt-1, last, "the event is older than MaximumEventAgeInSeconds ("+maxAge.String()+")")
			return
		}
		res, err := s.execute(s.ctx, f, ev.req)
		if err != nil {
			s.drop(ev, attempt-1, last, "the service shut down: "+err.Error())
			return
		}
		if res.FunctionError == "" {
			log.Debug("lambda async invocation succeeded", "attempt", attempt)
			return
		}
		last = res
		if attempt > retries {
			s.drop(ev, attempt, last, "the function failed and MaximumRetryAttempts is used up")
			return
		}
		delay := s.opts.RetryDelay << (attempt - 1)
		log.Info("lambda async invocation failed, retrying", "attempt", attempt, "error_type", res.ErrorType, "retry_in", delay)
		select {
		case <-time.After(delay):
		case <-s.ctx.Done():
			s.drop(ev, attempt, last, "the service shut down before the retry")
			return
		}
	}
}

// drop records an event Lambda gave up on and logs it.
func (s *Service) drop(ev asyncEvent, attempts int, last InvokeResult, reason string) {
	dl := DeadLetter{
		Function:  ev.function,
		RequestID: ev.req.requestID,
		Payload:   ev.req.payload,
		Attempts:  attempts,
		Reason:    reason,
		ErrorType: last.ErrorType,
		Time:      time.Now(),
	}
	var doc errorDoc
	if json.Unmarshal(last.Payload, &doc) == nil {
		dl.ErrorMessage = doc.ErrorMessage
	}
	s.mu.Lock()
	if len(s.dead) == maxDeadLetters {
		s.dead = append(s.dead[:0], s.dead[1:]...)
	}
	s.dead = append(s.dead, dl)
	s.mu.Unlock()
	s.log.Warn("lambda dropped an async event", "function", ev.function, "request_id", ev.req.requestID,
		"attempts", attempts, "reason", reason, "error_type", dl.ErrorType, "error_message", dl.ErrorMessage)
}

// DeadLetters returns the async events dropped so far (the last 1000),
// oldest first.
func (s *Service) DeadLetters() []DeadLetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DeadLetter(nil), s.dead...)
}

// WaitIdle blocks until no async event is queued, running or waiting for a
// retry, or ctx ends.
func (s *Service) WaitIdle(ctx context.Context) error {
	select {
	case <-s.async.wait():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
