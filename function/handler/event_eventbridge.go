package handler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// EventBridge detail types of S3 events that name an object change.
const (
	detailObjectCreated = "Object Created"
	detailObjectDeleted = "Object Deleted"
)

// eventBridgeDetail is the detail of an S3 event on EventBridge ("Object
// Created", "Object Deleted", …). Whether its key is form-encoded as in
// S3's own notifications is not documented (keyEitherReading).
type eventBridgeDetail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
	// Reason is the API call: PutObject, POST Object, CopyObject,
	// CompleteMultipartUpload, DeleteObject, …
	Reason string `json:"reason"`
	// DeletionType is "Permanently Deleted" or "Delete Marker Created".
	DeletionType string `json:"deletion-type"`
}

// HandleEventBridge processes an S3 event delivered by EventBridge (a rule
// matching source aws.s3 with the function as target) exactly as the S3
// notification of the same object, its key read as sent or form-decoded
// (keyEitherReading). "Object Deleted" is an ObjectRemoved notification;
// other events are skipped like any notification that is neither.
func (h *Handler) HandleEventBridge(ctx context.Context, payload json.RawMessage) (Response, error) {
	rec, err := eventBridgeRecord(payload)
	if err != nil {
		h.requestLog(ctx).Error("invocation rejected", "error", err)
		return Response{Results: []Summary{}, Failed: []string{}}, err
	}
	return h.handle(ctx, []eventRecord{rec})
}

// eventBridgeRecord turns an EventBridge S3 event into the S3 event record
// of the same object change.
func eventBridgeRecord(payload []byte) (eventRecord, error) {
	var ev events.EventBridgeEvent
	rec := eventRecord{keys: keyEitherReading}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return rec, fmt.Errorf("%w: EventBridge event: %v", ErrUnknownEvent, err)
	}
	if ev.Source != "aws.s3" {
		return rec, fmt.Errorf("%w: EventBridge event from source %q (detail-type %q); want source aws.s3", ErrUnknownEvent, ev.Source, ev.DetailType)
	}
	var d eventBridgeDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return rec, fmt.Errorf("%w: EventBridge %q event: detail: %v", ErrUnknownEvent, ev.DetailType, err)
	}
	rec.EventSource = "aws:s3"
	rec.AWSRegion = ev.Region
	rec.EventTime = ev.Time
	rec.EventName = eventNameOf(ev.DetailType, d)
	rec.S3.Bucket.Name = d.Bucket.Name
	rec.S3.Bucket.Arn = "arn:aws:s3:::" + d.Bucket.Name
	rec.S3.Object.Key = d.Object.Key
	rec.S3.Object.Size = d.Object.Size
	rec.S3.Object.ETag = d.Object.ETag
	rec.S3.Object.VersionID = d.Object.VersionID
	rec.S3.Object.Sequencer = d.Object.Sequencer
	return rec, nil
}

// eventNameOf is the S3 notification event name (without "s3:") that
// matches an EventBridge detail type.
func eventNameOf(detailType string, d eventBridgeDetail) string {
	switch detailType {
	case detailObjectCreated:
		reason := d.Reason
		if reason == "" {
			reason = "Put"
		}
		return "ObjectCreated:" + reason
	case detailObjectDeleted:
		if d.DeletionType == "Delete Marker Created" {
			return "ObjectRemoved:DeleteMarkerCreated"
		}
		return "ObjectRemoved:Delete"
	}
	return "EventBridge:" + detailType
}
