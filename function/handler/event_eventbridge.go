package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// EventBridge detail types of S3 events that name an object change.
const (
	detailObjectCreated = "Object Created"
	detailObjectDeleted = "Object Deleted"
)

// eventBridgeDetail is the detail of an S3 event on EventBridge ("Object
// Created", "Object Deleted", …). Whether its key is form-encoded as in
// S3's own notifications is not documented (eventBridgeKey).
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
// notification of the same object. Events other than "Object Created" are
// skipped like any notification that is not ObjectCreated.
func (h *Handler) HandleEventBridge(ctx context.Context, payload json.RawMessage) (Response, error) {
	rec, err := eventBridgeRecord(payload)
	if err != nil {
		h.requestLog(ctx).Error("invocation rejected", "error", err)
		return Response{Results: []Summary{}, Failed: []string{}}, err
	}
	h.eventBridgeKey(ctx, &rec)
	return h.Handle(ctx, events.S3Event{Records: []events.S3EventRecord{rec}})
}

// eventBridgeKey settles how to read an EventBridge event's key. S3's own
// notifications form-encode keys ('+' for a space, %3A for ':'), and
// record decodes them; EventBridge's documentation does not say whether
// its detail does the same, and a real "Object Created" event published
// with its ids (a public gist) shows ':' as is. The two readings differ
// only for a key with '+' or '%' in it; for such a key of an
// ObjectCreated event, the reading whose object exists wins, so that
// neither reading can make an upload look deleted. Where neither exists,
// or S3 cannot say, the key stays as sent and record reports it.
func (h *Handler) eventBridgeKey(ctx context.Context, rec *events.S3EventRecord) {
	raw := rec.S3.Object.Key
	if !strings.HasPrefix(rec.EventName, "ObjectCreated:") || !strings.ContainsAny(raw, "+%") {
		return
	}
	exists := func(key string) bool {
		_, err := h.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(rec.S3.Bucket.Name), Key: aws.String(key)})
		return err == nil
	}
	if decoded, err := url.QueryUnescape(raw); err == nil && exists(decoded) {
		return
	}
	if exists(raw) {
		// As S3 would have written it, for record to decode.
		rec.S3.Object.Key = url.QueryEscape(raw)
	}
}

// eventBridgeRecord turns an EventBridge S3 event into the S3 event record
// of the same object change.
func eventBridgeRecord(payload []byte) (events.S3EventRecord, error) {
	var ev events.EventBridgeEvent
	var rec events.S3EventRecord
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
