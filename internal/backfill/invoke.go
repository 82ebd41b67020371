package backfill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

// Batch Operations result codes, as the function answers them.
const (
	codeSucceeded        = "Succeeded"
	codeTemporaryFailure = "TemporaryFailure"
	codePermanentFailure = "PermanentFailure"
)

// skipAlreadyEncoded is the function's summary "skipped" value for a
// result that already holds the object's ETag (docs/CONTRACT.md).
const skipAlreadyEncoded = "already_encoded"

// taskSummary is the part of the function's per-task summary (its result
// string) a run counts by.
type taskSummary struct {
	Skipped string  `json:"skipped"`
	Error   *string `json:"error"`
}

// send invokes the function with one batch and books the answer. It
// returns the tasks to try again, and an error only for a failure no task
// of any batch can get past (no such function, no permission).
func (r *runner) send(ctx context.Context, batch []task, attempt int) ([]task, error) {
	payload, err := r.payload(batch)
	if err != nil {
		return nil, err
	}
	// An invocation under way finishes even when ctx ends, so that its
	// answer reaches the checkpoint and nothing it did is done again.
	out, err := r.lambda.Invoke(context.WithoutCancel(ctx), &lambda.InvokeInput{
		FunctionName: aws.String(r.job.Function),
		Payload:      payload,
	})
	var answers map[string]events.S3BatchJobResult
	var whyAll string
	switch {
	case err != nil && fatal(err):
		return nil, fmt.Errorf("%w %s: invoke: %w", ErrFunction, r.job.Function, err)
	case err != nil:
		whyAll = fmt.Sprintf("invoke: %v", err)
	case out.FunctionError != nil:
		whyAll = fmt.Sprintf("function error %s: %s", aws.ToString(out.FunctionError), out.Payload)
	default:
		var resp events.S3BatchJobResponse
		if err := json.Unmarshal(out.Payload, &resp); err != nil || resp.Results == nil {
			whyAll = fmt.Sprintf("the function answered no Batch Operations response (%v): %.200s", err, out.Payload)
			break
		}
		answers = make(map[string]events.S3BatchJobResult, len(resp.Results))
		for _, res := range resp.Results {
			answers[res.TaskID] = res
		}
	}

	var (
		retry []task
		done  []checkpointEntry
		fails []Failure
		count struct{ encoded, already, skipped int }
	)
	for i, t := range batch {
		res, ok := answers[strconv.Itoa(i)]
		switch {
		case whyAll != "":
			res = events.S3BatchJobResult{ResultCode: codeTemporaryFailure, ResultString: whyAll}
		case !ok:
			// What Batch Operations does with treatMissingKeysAs.
			res = events.S3BatchJobResult{ResultCode: codePermanentFailure, ResultString: "the function's answer has no result for this task"}
		}
		switch res.ResultCode {
		case codeSucceeded:
			var s taskSummary
			_ = json.Unmarshal([]byte(res.ResultString), &s)
			switch s.Skipped {
			case "":
				count.encoded++
			case skipAlreadyEncoded:
				count.already++
			default:
				count.skipped++
			}
			done = append(done, checkpointEntry{Function: r.fprint, Bucket: r.job.Bucket, Key: t.key, ETag: t.etag})
		case codeTemporaryFailure:
			t.last = Failure{Key: t.key, ResultCode: res.ResultCode, Result: res.ResultString}
			if attempt < r.maxAttempts {
				retry = append(retry, t)
				continue
			}
			fails = append(fails, t.last)
		default:
			fails = append(fails, Failure{Key: t.key, ResultCode: res.ResultCode, Result: res.ResultString})
		}
	}
	var cpErr error
	if r.cp != nil {
		cpErr = r.cp.add(done)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.Invocations++
	r.report.Encoded += count.encoded
	r.report.AlreadyEncoded += count.already
	r.report.Skipped += count.skipped
	r.report.Failed = append(r.report.Failed, fails...)
	r.done += len(batch) - len(retry)
	r.tick()
	if whyAll != "" {
		r.log.Warn("invocation failed; its tasks are tried again", "attempt", attempt, "tasks", len(batch), "error", whyAll)
	}
	return retry, cpErr
}

// payload is an S3 Batch Operations schema 2.0 invocation of the batch;
// task IDs are the tasks' indexes in it, keys URL-encoded as Batch
// Operations sends them.
func (r *runner) payload(batch []task) ([]byte, error) {
	ev := events.S3BatchJobEventV2{
		InvocationSchemaVersion: "2.0",
		InvocationID:            randomID(),
		Job:                     events.S3BatchJobV2{ID: "facevec-backfill", UserArguments: map[string]string{}},
		Tasks:                   make([]events.S3BatchJobTaskV2, len(batch)),
	}
	for i, t := range batch {
		ev.Tasks[i] = events.S3BatchJobTaskV2{TaskID: strconv.Itoa(i), S3Key: url.QueryEscape(t.key), S3Bucket: r.job.Bucket}
	}
	return json.Marshal(ev)
}

// fatal reports whether an Invoke error will not go away by trying again.
func fatal(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ResourceNotFoundException", "AccessDeniedException", "InvalidParameterValueException",
			"RequestTooLargeException", "UnrecognizedClientException", "InvalidSignatureException":
			return true
		}
	}
	return false
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
