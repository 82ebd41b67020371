//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/facevec/facevec/fixtures"
)

// awsSample reads one of AWS's sample events kept with the handler's tests
// (function/handler/testdata/events/SOURCES.md).
func awsSample(t *testing.T, name string) map[string]any {
	t.Helper()
	dir, err := fixtures.Dir()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "function", "handler", "testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at walks into nested JSON: a string steps into an object, an int into
// an array.
func at(v any, path ...any) map[string]any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v.(map[string]any)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEventShapes invokes the deployed function through the Lambda API
// with AWS's sample SQS, EventBridge and S3 Batch Operations events,
// pointed at a photo under a suffix the bucket's notifications skip (so
// that only the invocation under test encodes it).
func TestEventShapes(t *testing.T) {
	b := getBackfillStack(t)
	dir, err := fixtures.Dir()
	if err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(dir, "people", "grace hopper.jpg")
	invoke := func(t *testing.T, payload []byte) []byte {
		t.Helper()
		out, err := b.stack.Lambda().Invoke(rootCtx, &lambda.InvokeInput{
			FunctionName: aws.String(b.spec.FunctionName), InvocationType: types.InvocationTypeRequestResponse, Payload: payload,
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.FunctionError != nil {
			t.Fatalf("function error %s: %s", aws.ToString(out.FunctionError), out.Payload)
		}
		return out.Payload
	}
	upload := func(t *testing.T, key string) (etag string, size int64) {
		t.Helper()
		etag, size, err := putFile(rootCtx, b.stack.S3(), b.out.InputBucket, key, photo)
		if err != nil {
			t.Fatal(err)
		}
		return etag, size
	}
	oneFace := func(t *testing.T, key string) {
		t.Helper()
		data, _, err := getObject(rootCtx, b.stack.S3(), b.out.OutputBucket, b.out.OutputPrefix+b.out.InputBucket+"/"+key+".json")
		if err != nil {
			t.Fatalf("result of %s: %v", key, err)
		}
		r, err := decodeResult(data)
		if err != nil || r.Error != nil || len(r.Faces) != 1 {
			t.Fatalf("result of %s: %+v (%v); want one face", key, r, err)
		}
		t.Logf("e2e: %s → 1 face, box %+v", key, r.Faces[0].Box)
	}

	t.Run("sqs", func(t *testing.T) {
		key := "shapes/sqs grace.jpg.orig"
		etag, size := upload(t, key)
		ev := awsSample(t, "s3SqsEvent.json")
		msg := at(ev, "Records", 0)
		var body map[string]any
		if err := json.Unmarshal([]byte(msg["body"].(string)), &body); err != nil {
			t.Fatal(err)
		}
		s3 := at(body, "Records", 0, "s3")
		at(s3, "bucket")["name"] = b.out.InputBucket
		o := at(s3, "object")
		o["key"], o["eTag"], o["size"], o["versionId"] = eventKey(key), etag, size, ""
		msg["body"] = string(mustJSON(t, body))
		poison := at(awsSample(t, "sqs-event.json"), "Records", 0) // body "Message Body"
		test := at(awsSample(t, "s3SqsEvent.json"), "Records", 0)
		test["messageId"], test["body"] = "s3-test-event", string(mustJSON(t, awsSample(t, "s3-test-event.json")))
		ev["Records"] = []any{msg, poison, test}

		var resp struct {
			BatchItemFailures []struct {
				ItemIdentifier string `json:"itemIdentifier"`
			} `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(invoke(t, mustJSON(t, ev)), &resp); err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != poison["messageId"] {
			t.Errorf("batchItemFailures %+v; want only the message that is no notification (%v)", resp.BatchItemFailures, poison["messageId"])
		}
		oneFace(t, key)
	})

	t.Run("eventbridge", func(t *testing.T) {
		key := "shapes/eventbridge grace.jpg.orig"
		etag, size := upload(t, key)
		ev := awsSample(t, "s3EventBridgeNotificationObjectCreatedEvent.json")
		at(ev, "detail", "bucket")["name"] = b.out.InputBucket
		o := at(ev, "detail", "object")
		o["key"], o["etag"], o["size"] = eventKey(key), etag, size
		var resp invokeResponse
		if err := json.Unmarshal(invoke(t, mustJSON(t, ev)), &resp); err != nil {
			t.Fatal(err)
		}
		if len(resp.Results) != 1 || resp.Results[0].Faces != 1 || resp.Results[0].Key != key {
			t.Errorf("response %+v; want one summary with one face for %q", resp, key)
		}
		oneFace(t, key)
	})

	for _, schema := range []string{"1.0", "2.0"} {
		t.Run("s3 batch operations "+schema, func(t *testing.T) {
			key := "shapes/batch " + schema + " grace.jpg.orig"
			upload(t, key)
			ev := awsSample(t, "s3-batch-job-event-request-"+schema+".json")
			task := at(ev, "tasks", 0)
			task["s3Key"], task["s3VersionId"] = eventKey(key), nil
			if schema == "1.0" {
				task["s3BucketArn"] = "arn:aws:s3:::" + b.out.InputBucket
			} else {
				task["s3Bucket"] = b.out.InputBucket
			}
			for round, wantSkip := range []string{"", "already_encoded"} {
				var resp struct {
					InvocationID string `json:"invocationId"`
					Results      []struct {
						TaskID, ResultCode, ResultString string
					} `json:"results"`
				}
				if err := json.Unmarshal(invoke(t, mustJSON(t, ev)), &resp); err != nil {
					t.Fatal(err)
				}
				if resp.InvocationID != ev["invocationId"] || len(resp.Results) != 1 || resp.Results[0].TaskID != task["taskId"] ||
					resp.Results[0].ResultCode != "Succeeded" {
					t.Fatalf("round %d: response %+v; want the task Succeeded", round, resp)
				}
				var sum invokeSummary
				if err := json.Unmarshal([]byte(resp.Results[0].ResultString), &sum); err != nil || sum.Faces != 1 || sum.Skipped != wantSkip {
					t.Errorf("round %d: result string %s; want one face, skipped %q", round, resp.Results[0].ResultString, wantSkip)
				}
			}
			oneFace(t, key)
		})
	}
}
