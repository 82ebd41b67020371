package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/result"
)

// S3 Batch Operations task result codes.
const (
	BatchSucceeded        = "Succeeded"
	BatchTemporaryFailure = "TemporaryFailure"
	BatchPermanentFailure = "PermanentFailure"
)

// EventNameBatch is the event name a Batch Operations task is processed
// under: an object that exists, as if it had just been created.
const EventNameBatch = "ObjectCreated:BatchOperations"

// batchTask is one task of either schema, with the bucket resolved.
type batchTask struct {
	id, bucket, key, versionID string
}

// HandleBatch processes an S3 Batch Operations LambdaInvoke invocation
// (schema 1.0, bucket as s3BucketArn, or 2.0, bucket as s3Bucket): each
// task is an existing object, encoded like an ObjectCreated record and
// just as idempotent (a result that already holds the object's current
// ETag is not redone). Each task gets a result code:
//
//   - Succeeded: the result was written, or already there, or the key is
//     not encoded by design (a folder marker, a key under OUTPUT_PREFIX);
//   - TemporaryFailure: a failure a retry may fix (Batch retries it);
//   - PermanentFailure: a result with an error (an unreadable image, a
//     missing or denied object), or a task naming no usable object.
//
// The result string is the task's Summary as JSON, which Batch writes to
// the job's completion report.
func (h *Handler) HandleBatch(ctx context.Context, payload json.RawMessage) (events.S3BatchJobResponse, error) {
	log := h.requestLog(ctx)
	resp, tasks, err := decodeBatch(payload)
	if err != nil {
		log.Error("invocation rejected", "error", err)
		return resp, err
	}
	log = log.With("job_id", resp.InvocationID)

	resp.Results = make([]events.S3BatchJobResult, len(tasks))
	var recs []eventRecord
	var index []int // index[j]: the task recs[j] came from
	for i, t := range tasks {
		resp.Results[i].TaskID = t.id
		if t.bucket == "" || t.key == "" {
			s := Summary{Bucket: t.bucket, Key: t.key}
			s.setError(result.CodeInternal, fmt.Sprintf("task %q names no bucket or no key", t.id))
			resp.Results[i].ResultCode, resp.Results[i].ResultString = BatchPermanentFailure, summaryString(s)
			log.Error("task rejected", "task_id", t.id, "error", s.Message)
			continue
		}
		// Tasks carry keys URL-encoded, as manifests and S3 Inventory
		// reports list them.
		rec := eventRecord{keys: keyFormEncoded}
		rec.EventSource = "aws:s3"
		rec.EventName = EventNameBatch
		rec.S3.Bucket.Name = t.bucket
		rec.S3.Object.Key = t.key
		rec.S3.Object.VersionID = t.versionID
		recs = append(recs, rec)
		index = append(index, i)
	}
	if len(recs) == 0 {
		return resp, nil
	}
	h.statSources(ctx, recs)
	// The error sums up the retryable records, which become
	// TemporaryFailure one by one; failing the invocation would fail every
	// task of it.
	sums, _ := h.handle(ctx, recs)
	for j, s := range sums.Results {
		r := &resp.Results[index[j]]
		switch {
		case s.Retryable:
			r.ResultCode = BatchTemporaryFailure
		case s.Error != nil:
			r.ResultCode = BatchPermanentFailure
		default:
			r.ResultCode = BatchSucceeded
		}
		r.ResultString = summaryString(s)
	}
	return resp, nil
}

// decodeBatch reads an invocation of either schema. The response it
// returns echoes the invocation, as Batch Operations requires.
func decodeBatch(payload []byte) (events.S3BatchJobResponse, []batchTask, error) {
	resp := events.S3BatchJobResponse{TreatMissingKeysAs: BatchPermanentFailure, Results: []events.S3BatchJobResult{}}
	var probe struct {
		Version string `json:"invocationSchemaVersion"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return resp, nil, fmt.Errorf("%w: S3 Batch Operations invocation: %v", ErrUnknownEvent, err)
	}
	resp.InvocationSchemaVersion = probe.Version
	var tasks []batchTask
	switch probe.Version {
	case "1.0":
		var ev events.S3BatchJobEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return resp, nil, fmt.Errorf("%w: S3 Batch Operations invocation (schema 1.0): %v", ErrUnknownEvent, err)
		}
		resp.InvocationID = ev.InvocationID
		for _, t := range ev.Tasks {
			tasks = append(tasks, batchTask{id: t.TaskID, bucket: bucketOfARN(t.S3BucketARN), key: t.S3Key, versionID: t.S3VersionID})
		}
	case "2.0":
		var ev events.S3BatchJobEventV2
		if err := json.Unmarshal(payload, &ev); err != nil {
			return resp, nil, fmt.Errorf("%w: S3 Batch Operations invocation (schema 2.0): %v", ErrUnknownEvent, err)
		}
		resp.InvocationID = ev.InvocationID
		for _, t := range ev.Tasks {
			tasks = append(tasks, batchTask{id: t.TaskID, bucket: t.S3Bucket, key: t.S3Key, versionID: t.S3VersionID})
		}
	default:
		return resp, nil, fmt.Errorf("%w: S3 Batch Operations invocationSchemaVersion %q; want 1.0 or 2.0", ErrUnknownEvent, probe.Version)
	}
	if len(tasks) == 0 {
		return resp, nil, fmt.Errorf("S3 Batch Operations invocation %q: %w: it holds no tasks", resp.InvocationID, ErrNoRecords)
	}
	return resp, tasks, nil
}

// bucketOfARN is the bucket an S3 bucket ARN names ("arn:aws:s3:::b"; the
// sample events also show "arn:aws:s3:region:account:b"); "" when it names
// none.
func bucketOfARN(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return ""
	}
	i := strings.LastIndexByte(arn, ':')
	return strings.TrimPrefix(arn[i+1:], "bucket/")
}

// statSources fills in each record's ETag and size from a HeadObject, which
// a task does not carry: with the ETag, a task whose result is already
// there is skipped without downloading the image (a resumed or repeated
// backfill costs two HEADs per done object). A failed HEAD leaves the
// record as it is; reading the object then reports the error.
func (h *Handler) statSources(ctx context.Context, recs []eventRecord) {
	sem := make(chan struct{}, max(h.concurrency, 4))
	var wg sync.WaitGroup
	for i := range recs {
		o := &recs[i].S3.Object
		readings, err := keyReadings(recs[i])
		if err != nil {
			continue
		}
		key := readings[0]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			head, err := h.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(recs[i].S3.Bucket.Name), Key: aws.String(key)})
			if err != nil {
				return
			}
			o.ETag = trimETag(aws.ToString(head.ETag))
			o.Size = aws.ToInt64(head.ContentLength)
		}()
	}
	wg.Wait()
}

// summaryString is a summary as the one-line JSON of a task's result
// string.
func summaryString(s Summary) string {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Sprintf("summary of s3://%s/%s: %v", s.Bucket, s.Key, err)
	}
	return string(b)
}
