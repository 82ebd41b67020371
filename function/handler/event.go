package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/facevec/facevec/result"
)

// HandlePayload is the function given to lambda.Start: Handle, after
// decoding the payload record by record.
//
// aws-lambda-go's events.S3Event decodes every key with url.QueryUnescape
// as part of unmarshalling, so one key that is not valid URL encoding
// ("%zz.jpg") fails the whole event before the handler runs, with no bucket
// and no key in the error and the other records lost with it. Here each
// record is decoded on its own, keys are kept as S3 sent them (Handle
// decodes them and names a bad one), and a record that cannot be decoded at
// all gets its own error summary.
func (h *Handler) HandlePayload(ctx context.Context, payload json.RawMessage) (Response, error) {
	var env struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(payload, &env); err != nil {
		err = fmt.Errorf("%w: the payload is not an S3 event: %v", ErrNoRecords, err)
		h.log.Error("invocation rejected", "error", err)
		return Response{Results: []Summary{}, Failed: []string{}}, err
	}
	ev := events.S3Event{Records: make([]events.S3EventRecord, 0, len(env.Records))}
	var bad []Summary
	for i, raw := range env.Records {
		rec, err := decodeRecord(raw)
		if err != nil {
			s := Summary{Bucket: rec.S3.Bucket.Name, Key: rec.S3.Object.Key}
			if s.Key == "" {
				s.Key = fmt.Sprintf("(record %d)", i)
			}
			s.setError(result.CodeInternal, fmt.Sprintf("event record %d is not an S3 event record: %v", i, err))
			bad = append(bad, s)
			continue
		}
		ev.Records = append(ev.Records, rec)
	}
	if len(ev.Records) == 0 && len(bad) > 0 {
		resp := Response{Results: bad, Failed: []string{}}
		for _, s := range bad {
			resp.Failed = append(resp.Failed, s.Key)
			h.log.Error("record rejected", "bucket", s.Bucket, "key", s.Key, "error", s.Message)
		}
		return resp, nil
	}
	resp, err := h.Handle(ctx, ev)
	for _, s := range bad {
		h.log.Error("record rejected", "bucket", s.Bucket, "key", s.Key, "error", s.Message)
		resp.Results = append(resp.Results, s)
		resp.Failed = append(resp.Failed, s.Key)
	}
	return resp, err
}

// wireRecord is the part of an S3 event record the handler reads, with the
// key as S3 sent it (URL-encoded).
type wireRecord struct {
	EventName string `json:"eventName"`
	S3        struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			Size      int64  `json:"size"`
			ETag      string `json:"eTag"`
			VersionID string `json:"versionId"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// decodeRecord decodes one record without unescaping its key. On error the
// returned record holds what could be read, for the summary.
func decodeRecord(raw json.RawMessage) (events.S3EventRecord, error) {
	var w wireRecord
	err := json.Unmarshal(raw, &w)
	var rec events.S3EventRecord
	rec.EventName = w.EventName
	rec.S3.Bucket.Name = w.S3.Bucket.Name
	rec.S3.Object.Key = w.S3.Object.Key
	rec.S3.Object.Size = w.S3.Object.Size
	rec.S3.Object.ETag = w.S3.Object.ETag
	rec.S3.Object.VersionID = w.S3.Object.VersionID
	rec.S3.Object.Sequencer = w.S3.Object.Sequencer
	if err == nil && strings.TrimSpace(string(raw)) == "null" {
		err = fmt.Errorf("null record")
	}
	return rec, err
}
