package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// HandleSQS processes a batch from an SQS queue that S3 (or an EventBridge
// rule) sends its notifications to. Every record of every message is
// processed as HandlePayload would; the answer lists in batchItemFailures
// only the messages to deliver again, so that the event source mapping
// (with FunctionResponseTypes ReportBatchItemFailures) deletes the others:
//
//   - a message with a record that failed in a way a retry may fix
//     (throttling, 5xx, timeout), and
//   - a message whose body is not an S3 notification at all: it returns
//     until the queue's redrive policy moves it to the dead-letter queue,
//     where it can be looked at, instead of being dropped.
//
// An s3:TestEvent body (S3 sends one when the queue is wired) is skipped.
// The invocation itself fails only when the payload is not an SQS batch.
func (h *Handler) HandleSQS(ctx context.Context, payload json.RawMessage) (events.SQSEventResponse, error) {
	log := h.requestLog(ctx)
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		err = fmt.Errorf("%w: SQS batch: %v", ErrUnknownEvent, err)
		log.Error("invocation rejected", "error", err)
		return resp, err
	}

	var all []eventRecord
	var owner []int // owner[j]: the message all[j] came from
	failed := make([]bool, len(ev.Records))
	for i, msg := range ev.Records {
		mlog := log.With("message_id", msg.MessageId)
		recs, skip, err := recordsFromBody(msg.Body)
		switch {
		case err != nil:
			failed[i] = true
			mlog.Error("message rejected; it returns to the queue until the redrive policy moves it to the dead-letter queue",
				"error", err, "receive_count", msg.Attributes["ApproximateReceiveCount"])
		case skip != "":
			mlog.Info("message skipped", "why", skip)
		}
		for _, r := range recs {
			all = append(all, r)
			owner = append(owner, i)
		}
	}
	if len(all) > 0 {
		// The error only sums up the retryable records, which the
		// summaries name one by one; failing the invocation would return
		// the whole batch.
		sums, _ := h.handle(ctx, all)
		for j, s := range sums.Results {
			if s.Retryable {
				failed[owner[j]] = true
			}
		}
	}
	for i, msg := range ev.Records {
		if failed[i] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	log.Info("sqs batch done", "messages", len(ev.Records), "records", len(all), "returned", len(resp.BatchItemFailures))
	return resp, nil
}

// recordsFromBody reads the S3 event records an SQS message body holds: an
// S3 notification, or an EventBridge S3 event (an EventBridge rule with
// the queue as target). skip says why a body holds nothing to do.
func recordsFromBody(body string) (recs []eventRecord, skip string, err error) {
	shape, err := detectShape([]byte(body))
	if err != nil {
		return nil, "", fmt.Errorf("message body: %w", err)
	}
	switch shape {
	case ShapeS3Test:
		return nil, "s3:TestEvent, sent when the notification was configured", nil
	case ShapeEventBridge:
		rec, err := eventBridgeRecord([]byte(body))
		if err != nil {
			return nil, "", fmt.Errorf("message body: %w", err)
		}
		return []eventRecord{rec}, "", nil
	case ShapeS3:
	default:
		return nil, "", fmt.Errorf("message body: %w: a %s event inside an SQS message; want an S3 notification", ErrUnknownEvent, shape)
	}
	var env struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		return nil, "", fmt.Errorf("message body: %w: %v", ErrUnknownEvent, err)
	}
	if len(env.Records) == 0 {
		return nil, "", fmt.Errorf("message body: %w", ErrNoRecords)
	}
	// The records that decode are processed even when another does not;
	// the message then still returns, for the dead-letter queue.
	var errs []error
	for i, raw := range env.Records {
		rec, err := decodeRecord(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("message body: record %d is not an S3 event record: %v", i, err))
			continue
		}
		recs = append(recs, eventRecord{S3EventRecord: rec, keys: keyFormEncoded})
	}
	return recs, "", errors.Join(errs...)
}
