package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/function/handler"
)

// eventBridgePayload is AWS's sample EventBridge S3 event pointed at an
// object, with the key exactly as given.
func eventBridgePayload(t *testing.T, detailType, bucket, key, etag string, size int64) json.RawMessage {
	t.Helper()
	return retarget(t, sample(t, "s3EventBridgeNotificationObjectCreatedEvent.json"), func(m map[string]any) {
		m["detail-type"] = detailType
		obj(m, "detail", "bucket")["name"] = bucket
		o := obj(m, "detail", "object")
		o["key"], o["etag"], o["size"] = key, etag, size
		if detailType == "Object Deleted" {
			d := obj(m, "detail")
			d["reason"], d["deletion-type"] = "DeleteObject", "Permanently Deleted"
			delete(o, "etag")
			delete(o, "size")
		}
	})
}

// inSQS is AWS's sample SQS batch with one message whose body is body.
func inSQS(t *testing.T, body []byte) json.RawMessage {
	t.Helper()
	return retarget(t, sample(t, "s3SqsEvent.json"), func(m map[string]any) { firstRecord(m)["body"] = string(body) })
}

// batchPayload is AWS's sample Batch Operations invocation of a schema
// with one task for bucket and key (the key as given).
func batchPayload(t *testing.T, schema, bucket, key string) json.RawMessage {
	t.Helper()
	return retarget(t, sample(t, "s3-batch-job-event-request-"+schema+".json"), func(m map[string]any) {
		task := m["tasks"].([]any)[0].(map[string]any)
		task["s3Key"], task["s3VersionId"] = key, nil
		if schema == "1.0" {
			task["s3BucketArn"] = "arn:aws:s3:::" + bucket
		} else {
			task["s3Bucket"] = bucket
		}
	})
}

// readings are the objects a key as sent may name: as is, and
// form-decoded when it decodes.
func readings(sent string) []string {
	r := []string{sent}
	if d, err := url.QueryUnescape(sent); err == nil && d != sent {
		r = append(r, d)
	}
	return r
}

// TestEventKeyEveryShape: a key with '+' or '%' in it names the same
// object whichever way its event arrives. S3 notifications and Batch
// Operations tasks form-encode keys (AWS documents both); whether
// EventBridge does is not documented, so an EventBridge key is read as
// sent or form-decoded, whichever object exists: directly and inside an
// SQS message alike. Each case encodes the right photo (one face) and
// writes no result for the other reading of its key; no message returns
// to the queue.
func TestEventKeyEveryShape(t *testing.T) {
	st := newStack(t, "faces-in")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	img := testImage(t, "one")

	formEncoded := func(key string) string { return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/") }
	asSent := func(key string) string { return key }

	type shape struct {
		name    string
		payload func(t *testing.T, rec events.S3EventRecord, key string) json.RawMessage
		sent    map[string]func(string) string // how the shape may write a key
		outcome func(t *testing.T, out any)
	}
	eventBridge := func(t *testing.T, rec events.S3EventRecord, key string) json.RawMessage {
		return eventBridgePayload(t, "Object Created", rec.S3.Bucket.Name, key, rec.S3.Object.ETag, rec.S3.Object.Size)
	}
	notification := func(t *testing.T, rec events.S3EventRecord, key string) json.RawMessage {
		rec.S3.Object.Key = key
		b, err := json.Marshal(events.S3Event{Records: []events.S3EventRecord{rec}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ebSent := map[string]func(string) string{"as sent": asSent, "form-encoded": formEncoded}
	s3Sent := map[string]func(string) string{"form-encoded": formEncoded}
	oneFace := func(t *testing.T, out any) {
		resp := out.(handler.Response)
		if len(resp.Results) != 1 || resp.Results[0].Error != nil || resp.Results[0].Faces != 1 {
			t.Errorf("response %+v; want one face", resp)
		}
	}
	noneReturned := func(t *testing.T, out any) {
		if resp := out.(events.SQSEventResponse); len(resp.BatchItemFailures) != 0 {
			t.Errorf("batchItemFailures %+v; want none", resp.BatchItemFailures)
		}
	}
	succeeded := func(t *testing.T, out any) {
		resp := out.(events.S3BatchJobResponse)
		if len(resp.Results) != 1 || resp.Results[0].ResultCode != handler.BatchSucceeded {
			t.Errorf("response %+v; want one Succeeded task", resp)
		}
	}
	shapes := []shape{
		{"eventbridge", eventBridge, ebSent, oneFace},
		{"eventbridge in sqs", func(t *testing.T, rec events.S3EventRecord, key string) json.RawMessage {
			return inSQS(t, eventBridge(t, rec, key))
		}, ebSent, noneReturned},
		{"s3", notification, s3Sent, oneFace},
		{"s3 in sqs", func(t *testing.T, rec events.S3EventRecord, key string) json.RawMessage {
			return inSQS(t, notification(t, rec, key))
		}, s3Sent, noneReturned},
		{"batch 1.0", func(t *testing.T, rec events.S3EventRecord, key string) json.RawMessage {
			return batchPayload(t, "1.0", rec.S3.Bucket.Name, key)
		}, s3Sent, succeeded},
		{"batch 2.0", func(t *testing.T, rec events.S3EventRecord, key string) json.RawMessage {
			return batchPayload(t, "2.0", rec.S3.Bucket.Name, key)
		}, s3Sent, succeeded},
	}
	for _, sh := range shapes {
		for how, send := range sh.sent {
			for _, name := range []string{"a+b.jpg", "100%.jpg", "c d.jpg"} {
				object := sh.name + "/" + how + "/" + name
				t.Run(object, func(t *testing.T) {
					rec := st.upload(t, "faces-in", object, img)
					sent := send(object)
					out, err := h.Invoke(ctxT(t), sh.payload(t, rec, sent))
					if err != nil {
						t.Fatalf("key %q sent: %v", sent, err)
					}
					sh.outcome(t, out)
					if res, _ := st.result(t, "faces-in", "encodings/faces-in/"+object+".json"); len(res.Faces) != 1 || res.Source.Key != object {
						t.Errorf("key %q sent: result of %q has %d faces; want 1", sent, res.Source.Key, len(res.Faces))
					}
					for _, other := range readings(sent) {
						if other == object {
							continue
						}
						if _, _, ok := st.get(t, "faces-in", "encodings/faces-in/"+other+".json"); ok {
							t.Errorf("key %q sent for %q: a result was written for %q", sent, object, other)
						}
					}
				})
			}
		}
	}
}

// headFails is an S3 client whose HeadObject of one key fails as a
// dropped connection does.
type headFails struct {
	handler.S3API
	key string
}

func (c headFails) HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	if aws.ToString(in.Key) == c.key {
		return nil, errors.New("injected: connection reset by peer")
	}
	return c.S3API.HeadObject(ctx, in, optFns...)
}

// TestEventKeyUnsettled: when S3 cannot say now whether a reading of an
// EventBridge key exists, the record is retried (its message returns to
// the queue), not read one way for good.
func TestEventKeyUnsettled(t *testing.T) {
	st := newStack(t, "faces-in")
	log, _ := newLog(t)
	cfg := handler.DefaultConfig()
	cfg.ModelsDir = modelsDir(t)
	h, err := handler.New(cfg, testEncoder(t), headFails{S3API: st.client, key: "eb/a b.jpg"}, handler.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	rec := st.upload(t, "faces-in", "eb/a+b.jpg", testImage(t, "one"))
	out, err := h.Invoke(ctxT(t), inSQS(t, eventBridgePayload(t, "Object Created", "faces-in", "eb/a+b.jpg", rec.S3.Object.ETag, rec.S3.Object.Size)))
	if err != nil {
		t.Fatal(err)
	}
	if resp := out.(events.SQSEventResponse); len(resp.BatchItemFailures) != 1 {
		t.Errorf("batchItemFailures %+v; want the message back in the queue", resp.BatchItemFailures)
	}
	for _, key := range []string{"eb/a+b.jpg", "eb/a b.jpg"} {
		if _, _, ok := st.get(t, "faces-in", "encodings/faces-in/"+key+".json"); ok {
			t.Errorf("a result was written for %q before the key was settled", key)
		}
	}
}

// TestEventBridgeDeleteEitherReading: an EventBridge "Object Deleted"
// event removes the deleted photo's faces whichever way its key was
// written, and never another photo's. A reading whose object exists keeps
// its faces; when neither exists (the usual case for a delete) both
// readings' faces go; a literal '%' is no error. The same directly and in
// an SQS message.
func TestEventBridgeDeleteEitherReading(t *testing.T) {
	st := newStack(t, "faces-in")
	ix, _ := newVectorIndex(t)
	h, _ := newHandler(t, st, handler.DefaultConfig(), handler.WithVectorIndex(ix))
	img := testImage(t, "one")
	ctx := ctxT(t)

	for _, via := range []string{"direct", "sqs"} {
		for _, c := range []struct {
			name              string
			uploaded, deleted []string // objects, then the ones deleted
			sent              string   // the event's key
			removed           int
		}{
			{"as sent", []string{"a+b.jpg", "a b.jpg"}, []string{"a+b.jpg"}, "a+b.jpg", 1},
			{"form-encoded", []string{"c+d.jpg", "c d.jpg"}, []string{"c d.jpg"}, "c+d.jpg", 1},
			{"literal percent", []string{"100%.jpg"}, []string{"100%.jpg"}, "100%.jpg", 1},
			{"neither exists", []string{"e+f.jpg", "e f.jpg"}, []string{"e+f.jpg", "e f.jpg"}, "e+f.jpg", 2},
		} {
			t.Run(via+"/"+c.name, func(t *testing.T) {
				prefix := "eb-" + via + "/"
				etags := map[string]string{}
				for _, key := range c.uploaded {
					rec := st.upload(t, "faces-in", prefix+key, img)
					if _, err := h.Handle(ctx, event(rec)); err != nil {
						t.Fatal(err)
					}
					etags[key] = strings.Trim(rec.S3.Object.ETag, `"`)
				}
				for _, key := range c.deleted {
					if _, err := st.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("faces-in"), Key: aws.String(prefix + key)}); err != nil {
						t.Fatal(err)
					}
				}
				payload := eventBridgePayload(t, "Object Deleted", "faces-in", prefix+c.sent, "", 0)
				removed := -1
				if via == "sqs" {
					out, err := h.Invoke(ctx, inSQS(t, payload))
					if err != nil {
						t.Fatal(err)
					}
					if resp := out.(events.SQSEventResponse); len(resp.BatchItemFailures) != 0 {
						t.Errorf("batchItemFailures %+v; want none", resp.BatchItemFailures)
					}
				} else {
					out, err := h.Invoke(ctx, payload)
					if err != nil {
						t.Fatal(err)
					}
					resp := out.(handler.Response)
					if len(resp.Results) != 1 || resp.Results[0].Error != nil {
						t.Fatalf("response %+v; want one summary without error", resp)
					}
					removed = resp.Results[0].RemovedVectors
				}
				if removed >= 0 && removed != c.removed {
					t.Errorf("removed %d vectors; want %d", removed, c.removed)
				}
				for _, key := range c.uploaded {
					gone := slices.Contains(c.deleted, key)
					indexed, err := ix.InSync(ctx, "faces-in", prefix+key, etags[key], 1)
					if err != nil {
						t.Fatal(err)
					}
					if gone && indexed {
						t.Errorf("%q was deleted (event key %q) but its face is still in the index", key, c.sent)
					}
					if !gone && !indexed {
						t.Errorf("%q exists but lost its face to the deletion of another object (event key %q)", key, c.sent)
					}
				}
			})
		}
	}
}
