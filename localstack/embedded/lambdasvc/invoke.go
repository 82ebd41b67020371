package lambdasvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Payload limits of Lambda: synchronous and asynchronous requests.
const (
	maxSyncPayload  = 6291456
	maxAsyncPayload = 1048576
)

// logTailSize is how much output X-Amz-Log-Result carries, like Lambda.
const logTailSize = 4096

// InvokeResult is the outcome of a synchronous invocation.
type InvokeResult struct {
	RequestID string
	// Payload is the function's response, or the error document
	// ({"errorMessage", "errorType", ...}) when FunctionError is set.
	Payload []byte
	// FunctionError is "Unhandled" when the function or its runtime failed
	// (error returned, panic, crash, timeout), else "".
	FunctionError string
	ErrorType     string // errorType of the error document
	// LogTail is the end (4 KB) of the invocation's output with Lambda's
	// START/END/REPORT lines, as X-Amz-Log-Result has it.
	LogTail string
}

// invokeRequest is one invocation as the API received it.
type invokeRequest struct {
	requestID     string
	payload       []byte
	traceID       string
	clientContext string
	cognito       string
}

// Invoke runs function (name or ARN) synchronously, like Invoke with
// InvocationType RequestResponse. A function failure is not an error: it is
// reported in the result. Errors are ErrFunctionNotFound, ErrInvalidPayload,
// ErrPayloadTooLarge, ErrClosed, or ctx's error while waiting for a free
// environment.
func (s *Service) Invoke(ctx context.Context, function string, payload []byte) (InvokeResult, error) {
	f, aerr := s.lookup(function, "")
	if aerr != nil {
		return InvokeResult{}, aerr
	}
	payload, aerr = checkPayload(payload, maxSyncPayload)
	if aerr != nil {
		return InvokeResult{}, aerr
	}
	return s.execute(ctx, f, invokeRequest{requestID: newUUID(), payload: payload, traceID: newTraceID()})
}

// checkPayload applies Lambda's rules: JSON, bounded; no payload means {}.
func checkPayload(p []byte, limit int) ([]byte, *apiError) {
	if len(p) > limit {
		return nil, errTooLarge("Request must be smaller than %d bytes for the InvokeFunction operation", limit)
	}
	if len(p) == 0 {
		return []byte("{}"), nil
	}
	if !json.Valid(p) {
		var v any
		err := json.Unmarshal(p, &v)
		return nil, errInvalidContent("Could not parse request body into json: Could not parse payload into json: %v", err)
	}
	return p, nil
}

// execute runs one invocation in the function's pool: it waits for a slot
// (ctx bounds only that wait; once running, an invocation ends by itself,
// by timeout or by Close), picks or starts an environment and collects the
// answer, writing Lambda's START/END/REPORT lines to the function's log.
func (s *Service) execute(ctx context.Context, f *function, req invokeRequest) (InvokeResult, error) {
	p := f.pool
	release, err := p.acquire(ctx)
	if err != nil {
		if errors.As(err, new(errPoolClosed)) {
			return InvokeResult{}, ErrClosed
		}
		return InvokeResult{}, fmt.Errorf("wait for a free environment of %s: %w", f.name, err)
	}
	defer release()

	sp := f.spec.Load()
	inv := newInvocation(req.requestID, req.payload, sp.arn, sp.timeout)
	inv.traceID, inv.clientContext, inv.cognito = req.traceID, req.clientContext, req.cognito
	capture := &tailBuffer{max: logTailSize}
	platform := func(format string, args ...any) {
		line := []byte(fmt.Sprintf(format, args...) + "\n")
		p.logs.appendLine(line)
		capture.appendLine(line)
	}

	start := time.Now()
	platform("START RequestId: %s Version: %s", req.requestID, latest)
	var (
		res      runtimeResult
		initTime time.Duration
		closed   bool
	)
	for {
		env, err := p.get()
		if err != nil {
			if errors.As(err, new(errPoolClosed)) {
				closed = true
				break
			}
			// The bootstrap could not be started (not executable, wrong
			// architecture): Lambda's Runtime.InvalidEntrypoint.
			res = errorResult("Runtime.InvalidEntrypoint", fmt.Sprintf("RequestId: %s Error: %v", req.requestID, err))
			break
		}
		env.capture.Store(capture)
		var keep, delivered bool
		res, keep, delivered = env.run(inv, s.opts.InitTimeout, s.ctx.Done())
		// What the function printed before answering belongs before END.
		env.flushOutput()
		env.capture.Store(nil)
		if env.served == 1 && delivered {
			if ready := env.api.ready(); !ready.IsZero() {
				initTime = ready.Sub(env.started)
			}
		}
		if keep {
			p.put(env)
		} else {
			p.discard(env)
		}
		if !delivered {
			// A warm environment died between invocations; the event was
			// never handed over, so run it on another. This ends: every
			// round discards one dead environment, and a fresh one always
			// takes the event (or fails it).
			continue
		}
		// An invocation cut short by Close is the service's failure, not
		// the function's.
		if s.ctx.Err() != nil {
			closed = true
		}
		break
	}
	if closed {
		if s.ctx.Err() == nil {
			platform("RequestId: %s Error: the function was deleted", req.requestID)
			return InvokeResult{}, errFunctionNotFound(f.arn)
		}
		platform("RequestId: %s Error: the embedded Lambda service was shut down", req.requestID)
		return InvokeResult{}, ErrClosed
	}

	if res.failed && isPlatformError(res.errorType) {
		var doc errorDoc
		_ = json.Unmarshal(res.payload, &doc)
		platform("%s\n%s", doc.ErrorMessage, doc.ErrorType)
	}
	d := time.Since(start)
	ms := float64(d.Microseconds()) / 1000
	report := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\t",
		req.requestID, ms, int64(math.Ceil(ms)), sp.memoryMB)
	if initTime > 0 {
		report += fmt.Sprintf("Init Duration: %.2f ms\t", float64(initTime.Microseconds())/1000)
	}
	platform("END RequestId: %s", req.requestID)
	platform("%s", report)

	out := InvokeResult{RequestID: req.requestID, Payload: res.payload, LogTail: string(capture.bytes())}
	if res.failed {
		out.FunctionError = "Unhandled"
		out.ErrorType = res.errorType
		s.log.Debug("lambda invocation failed", "function", f.name, "request_id", req.requestID, "error_type", res.errorType)
	}
	return out, nil
}

// isPlatformError tells errors Lambda itself detected (and logs) from
// errors the function reported.
func isPlatformError(t string) bool {
	switch t {
	case "Sandbox.Timedout", "Runtime.ExitError", "Runtime.InvalidEntrypoint", "Function.ResponseSizeTooLarge":
		return true
	}
	return false
}

// newTraceID makes an X-Ray trace header like Lambda passes to runtimes.
func newTraceID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:]))
}
