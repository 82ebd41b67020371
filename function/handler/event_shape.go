package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// ErrUnknownEvent is returned for a payload that is none of the event
// shapes the function accepts; the message names what arrived.
var ErrUnknownEvent = errors.New("unknown event shape")

// Event shapes Invoke recognises, as named in logs and errors.
const (
	ShapeS3          = "s3"          // S3 event notification: {"Records": [{"s3": …}]}
	ShapeSQS         = "sqs"         // SQS batch whose bodies are S3 notifications
	ShapeBatch       = "s3-batch"    // S3 Batch Operations LambdaInvoke, schema 1.0 or 2.0
	ShapeEventBridge = "eventbridge" // EventBridge event from source aws.s3
	ShapeS3Test      = "s3-test"     // s3:TestEvent, sent when a notification is wired
)

// Invoke is the function given to lambda.Start. It recognises the shape of
// the payload and answers in that shape's own terms:
//
//   - S3 notification: HandlePayload's Response; the invocation fails when
//     a record failed in a way a retry may fix (Lambda retries the event).
//   - SQS: {"batchItemFailures": [...]} naming only the messages to
//     deliver again (the event source mapping needs ReportBatchItemFailures).
//   - S3 Batch Operations: one result per task, Succeeded, TemporaryFailure
//     or PermanentFailure.
//   - EventBridge "Object Created": as an S3 notification of that object.
//   - s3:TestEvent: nothing to do.
//
// Anything else fails with ErrUnknownEvent naming what arrived.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	shape, err := detectShape(payload)
	if err != nil {
		h.requestLog(ctx).Error("invocation rejected", "error", err)
		return nil, err
	}
	switch shape {
	case ShapeSQS:
		return h.HandleSQS(ctx, payload)
	case ShapeBatch:
		return h.HandleBatch(ctx, payload)
	case ShapeEventBridge:
		return h.HandleEventBridge(ctx, payload)
	case ShapeS3Test:
		h.requestLog(ctx).Info("s3:TestEvent skipped: S3 sends it when a notification is configured")
		return Response{Results: []Summary{}, Failed: []string{}}, nil
	default:
		return h.HandlePayload(ctx, payload)
	}
}

// requestLog is the handler's logger with the invocation's request id.
func (h *Handler) requestLog(ctx context.Context) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return h.log.With("request_id", lc.AwsRequestID)
	}
	return h.log
}

// shapeProbe holds the fields that tell the shapes apart.
type shapeProbe struct {
	Records []struct {
		EventSource string          `json:"eventSource"`
		S3          json.RawMessage `json:"s3"`
		Body        *string         `json:"body"`
	} `json:"Records"`
	InvocationSchemaVersion string          `json:"invocationSchemaVersion"`
	Tasks                   json.RawMessage `json:"tasks"`
	Source                  string          `json:"source"`
	DetailType              string          `json:"detail-type"`
	Event                   string          `json:"Event"`
}

// detectShape names the shape of payload, or says why it has none.
func detectShape(payload []byte) (string, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "", fmt.Errorf("%w: the payload is not a JSON object: %s", ErrUnknownEvent, excerpt(trimmed))
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &keys); err != nil {
		return "", fmt.Errorf("%w: the payload is not valid JSON (%v): %s", ErrUnknownEvent, err, excerpt(trimmed))
	}
	var p shapeProbe
	// A field of an unexpected type leaves the probe partly filled; the
	// shape's own decoder reports the detail.
	_ = json.Unmarshal(trimmed, &p)
	switch {
	case keys["Records"] != nil:
		for _, r := range p.Records {
			if r.EventSource == "aws:sqs" || r.Body != nil && r.S3 == nil {
				return ShapeSQS, nil
			}
		}
		return ShapeS3, nil
	case keys["invocationSchemaVersion"] != nil || keys["tasks"] != nil:
		return ShapeBatch, nil
	case p.Source == "aws.s3" && keys["detail"] != nil:
		return ShapeEventBridge, nil
	case p.Event == "s3:TestEvent":
		return ShapeS3Test, nil
	}
	names := slices.Sorted(maps.Keys(keys))
	return "", fmt.Errorf("%w: a JSON object with keys %q (source %q, detail-type %q); "+
		"want an S3 event notification (Records[].s3), an SQS batch of S3 notifications (Records[].body), "+
		"an S3 Batch Operations invocation (invocationSchemaVersion, tasks) or an EventBridge event from aws.s3 (detail-type \"Object Created\")",
		ErrUnknownEvent, names, p.Source, p.DetailType)
}

// excerpt is the start of a payload, for an error message.
func excerpt(b []byte) string {
	const limit = 120
	s := string(b)
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if s == "" {
		return "(empty)"
	}
	return s
}
