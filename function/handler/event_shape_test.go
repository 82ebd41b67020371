package handler_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/localstack/embedded/s3svc"
	"github.com/facevec/facevec/result"
)

// sample reads one of AWS's sample events (testdata/events/SOURCES.md).
func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// retarget decodes a sample, lets edit point it at other objects, and
// encodes it again; everything edit leaves alone stays as AWS wrote it.
func retarget(t *testing.T, raw []byte, edit func(m map[string]any)) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// obj walks into nested JSON objects.
func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func firstRecord(m map[string]any) map[string]any { return m["Records"].([]any)[0].(map[string]any) }

// batchSummary decodes a task's result string.
func batchSummary(t *testing.T, r events.S3BatchJobResult) handler.Summary {
	t.Helper()
	var s handler.Summary
	if err := json.Unmarshal([]byte(r.ResultString), &s); err != nil {
		t.Fatalf("result string %q is not a summary: %v", r.ResultString, err)
	}
	return s
}

// TestSampleEventsAsSent feeds AWS's samples unchanged. The objects they
// name do not exist, so each shape must have been read right to end in a
// not_found result for exactly that bucket and key, answered in the
// shape's own terms.
func TestSampleEventsAsSent(t *testing.T) {
	st := newStack(t, "faces-out")
	cfg := handler.DefaultConfig()
	cfg.OutputBucket = "faces-out"
	h, _ := newHandler(t, st, cfg)
	notFound := func(t *testing.T, bucket, key string) {
		t.Helper()
		res, _ := st.result(t, "faces-out", "encodings/"+bucket+"/"+key+".json")
		if res.Error == nil || res.Error.Code != result.CodeNotFound || res.Source.Bucket != bucket || res.Source.Key != key {
			t.Errorf("result for s3://%s/%s: source %+v, error %+v; want not_found", bucket, key, res.Source, res.Error)
		}
	}

	t.Run("s3 notification", func(t *testing.T) {
		out, err := h.Invoke(ctxT(t), sample(t, "s3-event.json"))
		if err != nil {
			t.Fatal(err)
		}
		resp := out.(handler.Response)
		if len(resp.Results) != 1 || codeOf(resp.Results[0]) != result.CodeNotFound || resp.Results[0].Key != "Happy Face.jpg" {
			t.Fatalf("response %+v; want one not_found summary for the decoded key", resp)
		}
		notFound(t, "sourcebucket", "Happy Face.jpg")
	})
	for _, tc := range []struct{ file, bucket string }{
		{"s3-batch-job-event-request-1.0.json", "awsexamplebucket"}, // from s3BucketArn
		{"s3-batch-job-event-request-2.0.json", "awsexamplebucket"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw := sample(t, tc.file)
			out, err := h.Invoke(ctxT(t), raw)
			if err != nil {
				t.Fatal(err)
			}
			resp := out.(events.S3BatchJobResponse)
			var req events.S3BatchJobEventV2
			if err := json.Unmarshal(raw, &req); err != nil {
				t.Fatal(err)
			}
			if resp.InvocationSchemaVersion != req.InvocationSchemaVersion || resp.InvocationID != req.InvocationID ||
				resp.TreatMissingKeysAs != handler.BatchPermanentFailure || len(resp.Results) != 1 {
				t.Fatalf("response %+v does not echo the invocation", resp)
			}
			r := resp.Results[0]
			s := batchSummary(t, r)
			if r.TaskID != req.Tasks[0].TaskID || r.ResultCode != handler.BatchPermanentFailure ||
				codeOf(s) != result.CodeNotFound || s.Bucket != tc.bucket || s.Key != "customerImage1.jpg" {
				t.Errorf("task result %+v (summary %+v); want PermanentFailure, not_found for %s/customerImage1.jpg", r, s, tc.bucket)
			}
			notFound(t, tc.bucket, "customerImage1.jpg")
		})
	}
	t.Run("batch response has AWS's fields", func(t *testing.T) {
		out, err := h.Invoke(ctxT(t), sample(t, "s3-batch-job-event-request-1.0.json"))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(out)
		if a, b := jsonShape(t, got), jsonShape(t, sample(t, "s3-batch-job-event-response.json")); a != b {
			t.Errorf("response fields %s, AWS's sample response has %s", a, b)
		}
	})
	t.Run("sqs with an S3 body", func(t *testing.T) {
		out, err := h.Invoke(ctxT(t), sample(t, "s3SqsEvent.json"))
		if err != nil {
			t.Fatal(err)
		}
		// not_found is written as a result and is not retryable: the
		// message is done.
		if resp := out.(events.SQSEventResponse); len(resp.BatchItemFailures) != 0 {
			t.Errorf("batchItemFailures %+v; want none", resp.BatchItemFailures)
		}
		notFound(t, "xxx", "test.pdf")
	})
	t.Run("sqs with a body that is no notification", func(t *testing.T) {
		out, err := h.Invoke(ctxT(t), sample(t, "sqs-event.json"))
		if err != nil {
			t.Fatal(err)
		}
		resp := out.(events.SQSEventResponse)
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "MessageID_1" {
			t.Errorf("batchItemFailures %+v; want MessageID_1 back in the queue (then the dead-letter queue)", resp.BatchItemFailures)
		}
	})
	t.Run("eventbridge object created", func(t *testing.T) {
		out, err := h.Invoke(ctxT(t), sample(t, "s3EventBridgeNotificationObjectCreatedEvent.json"))
		if err != nil {
			t.Fatal(err)
		}
		resp := out.(handler.Response)
		if len(resp.Results) != 1 || codeOf(resp.Results[0]) != result.CodeNotFound {
			t.Fatalf("response %+v; want one not_found summary", resp)
		}
		notFound(t, "example-bucket", "IMG_m7fzo3.jpg")
	})
	t.Run("s3 test event", func(t *testing.T) {
		test := sample(t, "s3-test-event.json")
		out, err := h.Invoke(ctxT(t), test)
		if err != nil {
			t.Fatal(err)
		}
		if resp := out.(handler.Response); len(resp.Results) != 0 {
			t.Errorf("response %+v; want nothing done", resp)
		}
		inSQS := retarget(t, sample(t, "s3SqsEvent.json"), func(m map[string]any) { firstRecord(m)["body"] = string(test) })
		out, err = h.Invoke(ctxT(t), inSQS)
		if err != nil {
			t.Fatal(err)
		}
		if resp := out.(events.SQSEventResponse); len(resp.BatchItemFailures) != 0 {
			t.Errorf("an s3:TestEvent message was returned to the queue: %+v", resp.BatchItemFailures)
		}
	})
}

// jsonShape lists the field paths of a JSON document, sorted.
func jsonShape(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var paths []string
	var walk func(string, any)
	walk = func(p string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				paths = append(paths, p+"."+k)
				walk(p+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(p+"[]", e)
			}
		}
	}
	walk("", v)
	slices.Sort(paths)
	return strings.Join(slices.Compact(paths), " ")
}

// TestSampleEventsRetargeted: the same samples pointed at an uploaded
// photo encode it (one face); a second delivery finds the result already
// there and writes nothing.
func TestSampleEventsRetargeted(t *testing.T) {
	st := newStack(t, "faces-in")
	h, logs := newHandler(t, st, handler.DefaultConfig())
	img := testImage(t, "one")

	type tc struct {
		name, key string
		payload   func(rec events.S3EventRecord) json.RawMessage
		faces     func(t *testing.T, out any) (faces int, skipped string)
	}
	fromResponse := func(t *testing.T, out any) (int, string) {
		resp := out.(handler.Response)
		if len(resp.Results) != 1 || resp.Results[0].Error != nil {
			t.Fatalf("response %+v; want one good summary", resp)
		}
		return resp.Results[0].Faces, resp.Results[0].Skipped
	}
	fromBatch := func(t *testing.T, out any) (int, string) {
		resp := out.(events.S3BatchJobResponse)
		if len(resp.Results) != 1 || resp.Results[0].ResultCode != handler.BatchSucceeded {
			t.Fatalf("response %+v; want one Succeeded task", resp)
		}
		s := batchSummary(t, resp.Results[0])
		return s.Faces, s.Skipped
	}
	cases := []tc{
		{"eventbridge", "eb/grace hopper.jpg", func(rec events.S3EventRecord) json.RawMessage {
			return retarget(t, sample(t, "s3EventBridgeNotificationObjectCreatedEvent.json"), func(m map[string]any) {
				obj(m, "detail", "bucket")["name"] = rec.S3.Bucket.Name
				o := obj(m, "detail", "object")
				o["key"], o["etag"], o["size"] = rec.S3.Object.Key, rec.S3.Object.ETag, rec.S3.Object.Size
			})
		}, fromResponse},
		{"batch 1.0", "b1/grace hopper.jpg", func(rec events.S3EventRecord) json.RawMessage {
			return retarget(t, sample(t, "s3-batch-job-event-request-1.0.json"), func(m map[string]any) {
				task := m["tasks"].([]any)[0].(map[string]any)
				task["s3BucketArn"], task["s3Key"], task["s3VersionId"] = "arn:aws:s3:::"+rec.S3.Bucket.Name, rec.S3.Object.Key, nil
			})
		}, fromBatch},
		{"batch 2.0", "b2/grace hopper.jpg", func(rec events.S3EventRecord) json.RawMessage {
			return retarget(t, sample(t, "s3-batch-job-event-request-2.0.json"), func(m map[string]any) {
				task := m["tasks"].([]any)[0].(map[string]any)
				task["s3Bucket"], task["s3Key"], task["s3VersionId"] = rec.S3.Bucket.Name, rec.S3.Object.Key, nil
			})
		}, fromBatch},
		{"sqs", "sqs/grace hopper.jpg", func(rec events.S3EventRecord) json.RawMessage {
			return retarget(t, sample(t, "s3SqsEvent.json"), func(m map[string]any) {
				r := firstRecord(m)
				r["body"] = string(retarget(t, []byte(r["body"].(string)), func(b map[string]any) {
					s3 := obj(firstRecord(b), "s3")
					obj(s3, "bucket")["name"] = rec.S3.Bucket.Name
					o := obj(s3, "object")
					o["key"], o["eTag"], o["size"], o["versionId"] = rec.S3.Object.Key, rec.S3.Object.ETag, rec.S3.Object.Size, ""
				}))
			})
		}, func(t *testing.T, out any) (int, string) {
			if resp := out.(events.SQSEventResponse); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("batchItemFailures %+v; want none", resp.BatchItemFailures)
			}
			return -1, ""
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := st.upload(t, "faces-in", c.key, img)
			payload := c.payload(rec)
			for round, wantSkip := range []string{"", handler.SkipAlreadyEncoded} {
				out, err := h.Invoke(ctxT(t), payload)
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				faces, skipped := c.faces(t, out)
				if faces >= 0 && (faces != 1 || skipped != wantSkip) {
					t.Errorf("round %d: %d faces, skipped %q; want 1 face, skipped %q", round, faces, skipped, wantSkip)
				}
			}
			res, _ := st.result(t, "faces-in", "encodings/faces-in/"+c.key+".json")
			if len(res.Faces) != 1 || res.Source.ETag != strings.Trim(rec.S3.Object.ETag, `"`) {
				t.Errorf("result: %d faces, source ETag %q; want 1 face of ETag %q", len(res.Faces), res.Source.ETag, rec.S3.Object.ETag)
			}
		})
	}
	written := 0
	for _, l := range logs.lines("result written") {
		if strings.HasSuffix(l["key"].(string), "grace hopper.jpg") {
			written++
		}
	}
	if written != len(cases) {
		t.Errorf("%d results written for %d objects each delivered twice; want one each", written, len(cases))
	}
}

// TestSQSReturnsOnlyFailedMessages: in one batch, a message whose image
// cannot be read for now (S3 throttles) and a message that is no
// notification return to the queue; a good photo, a bad image (an error
// result, final) and an s3:TestEvent do not.
func TestSQSReturnsOnlyFailedMessages(t *testing.T) {
	st := newStack(t, "faces-in")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	good := st.upload(t, "faces-in", "good.jpg", testImage(t, "one"))
	bad := st.upload(t, "faces-in", "bad.jpg", []byte("not an image at all"))
	throttled := st.upload(t, "faces-in", "throttled.jpg", testImage(t, "one"))
	// Every attempt of the client (three) is throttled.
	if err := st.faults.Add(s3svc.Fault{Op: s3svc.OpGetObject, Bucket: "faces-in", KeyPrefix: "throttled.jpg", Times: 3, SlowDown: true}); err != nil {
		t.Fatal(err)
	}
	body := func(recs ...events.S3EventRecord) string {
		b, _ := json.Marshal(events.S3Event{Records: recs})
		return string(b)
	}
	tmpl := sample(t, "s3SqsEvent.json")
	var msgs []any
	for _, m := range []struct{ id, body string }{
		{"good", body(good)}, {"bad-image", body(bad)}, {"throttled", body(throttled)},
		{"test-event", string(sample(t, "s3-test-event.json"))}, {"poison", "Message Body"},
	} {
		one := retarget(t, tmpl, func(e map[string]any) {
			r := firstRecord(e)
			r["messageId"], r["body"] = m.id, m.body
		})
		var e map[string]any
		_ = json.Unmarshal(one, &e)
		msgs = append(msgs, firstRecord(e))
	}
	payload, _ := json.Marshal(map[string]any{"Records": msgs})

	out, err := h.Invoke(ctxT(t), payload)
	if err != nil {
		t.Fatalf("the invocation failed (the whole batch would return): %v", err)
	}
	var ids []string
	for _, f := range out.(events.SQSEventResponse).BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	if want := []string{"poison", "throttled"}; !slices.Equal(ids, want) {
		t.Errorf("batchItemFailures %q; want %q", ids, want)
	}
	if res, _ := st.result(t, "faces-in", "encodings/faces-in/good.jpg.json"); len(res.Faces) != 1 {
		t.Errorf("good.jpg: %d faces, want 1", len(res.Faces))
	}
	if res, _ := st.result(t, "faces-in", "encodings/faces-in/bad.jpg.json"); res.Error == nil {
		t.Error("bad.jpg: no error result")
	}
}

// TestBatchResultCodes: Batch Operations retries TemporaryFailure only; a
// throttled read is temporary, a bad image or a missing object permanent.
func TestBatchResultCodes(t *testing.T) {
	st := newStack(t, "faces-in")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	st.upload(t, "faces-in", "ok.jpg", testImage(t, "one"))
	st.upload(t, "faces-in", "bad.jpg", []byte("not an image at all"))
	st.upload(t, "faces-in", "throttled.jpg", testImage(t, "one"))
	if err := st.faults.Add(s3svc.Fault{Op: s3svc.OpGetObject, Bucket: "faces-in", KeyPrefix: "throttled.jpg", Times: 3, SlowDown: true}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ok.jpg": handler.BatchSucceeded, "bad.jpg": handler.BatchPermanentFailure,
		"throttled.jpg": handler.BatchTemporaryFailure, "gone.jpg": handler.BatchPermanentFailure,
	}
	var tasks []events.S3BatchJobTaskV2
	for key := range want {
		tasks = append(tasks, events.S3BatchJobTaskV2{TaskID: "t-" + key, S3Key: key, S3Bucket: "faces-in"})
	}
	tasks = append(tasks, events.S3BatchJobTaskV2{TaskID: "t-nobucket", S3Key: "x.jpg"})
	want["x.jpg"] = handler.BatchPermanentFailure
	payload, _ := json.Marshal(events.S3BatchJobEventV2{InvocationSchemaVersion: "2.0", InvocationID: "inv", Tasks: tasks})
	out, err := h.Invoke(ctxT(t), payload)
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(events.S3BatchJobResponse)
	if len(resp.Results) != len(tasks) {
		t.Fatalf("%d results for %d tasks", len(resp.Results), len(tasks))
	}
	for i, r := range resp.Results {
		s := batchSummary(t, r)
		if r.TaskID != tasks[i].TaskID || r.ResultCode != want[tasks[i].S3Key] {
			t.Errorf("task %s: %s (%s); want %s", tasks[i].TaskID, r.ResultCode, r.ResultString, want[tasks[i].S3Key])
		}
		if r.ResultCode != handler.BatchSucceeded && s.Message == "" {
			t.Errorf("task %s: result string %q says nothing about why", r.TaskID, r.ResultString)
		}
	}
}

// TestUnknownShapes: what is no event gets an error naming what arrived.
func TestUnknownShapes(t *testing.T) {
	st := newStack(t, "faces-in")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	for _, tc := range []struct{ payload, want string }{
		{`{"hello": "world"}`, `["hello"]`},
		{`[1, 2]`, "not a JSON object: [1, 2]"},
		{`"s3"`, `not a JSON object: "s3"`},
		{`{"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}`, `source "aws.ec2"`},
		{`{"invocationSchemaVersion": "3.0", "tasks": []}`, `invocationSchemaVersion "3.0"`},
		{`{"invocationSchemaVersion": "2.0", "invocationId": "x", "tasks": []}`, "holds no tasks"},
	} {
		_, err := h.Invoke(ctxT(t), json.RawMessage(tc.payload))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want one containing %q", tc.payload, err, tc.want)
		}
		if err != nil && !errors.Is(err, handler.ErrUnknownEvent) && !errors.Is(err, handler.ErrNoRecords) {
			t.Errorf("%s: error %v wraps neither ErrUnknownEvent nor ErrNoRecords", tc.payload, err)
		}
	}
}
