package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/dlib"
	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/localstack/embedded/s3svc"
	"github.com/facevec/facevec/result"
)

const testFunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:facevec"

// Test images: committed fixtures when the fixtures helper has generated
// them, else copies that ship with Debian packages of matplotlib and dlib.
var imageCandidates = map[string][]string{
	// One face: Grace Hopper.
	"one": {
		"../../fixtures/people/grace hopper.jpg",
		"/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
	},
	// Several faces.
	"group": {
		"../../fixtures/group/équipe 4.jpg",
		"/usr/share/doc/libdlib19.1/examples/faces/2008_001322.jpg",
	},
	// No face.
	"noface": {
		"../../fixtures/noface/chelsea the cat.png",
		"../../fixtures/noface/rocket.jpg",
	},
}

// testImage returns the bytes of a test image, or skips the test.
func testImage(t testing.TB, name string) []byte {
	t.Helper()
	for _, p := range imageCandidates[name] {
		if data, err := os.ReadFile(p); err == nil {
			return data
		}
	}
	t.Skipf("no %q test image found (looked in %v); install python3-matplotlib / libdlib-dev docs or generate fixtures/", name, imageCandidates[name])
	return nil
}

// modelsDir finds the dlib models, or skips the test.
func modelsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(handler.EnvModels)
	if dir == "" {
		dir = "../../models"
	}
	if _, err := os.Stat(filepath.Join(dir, face.RecognizerFile)); err != nil {
		t.Skipf("models not found in %s (run `make models` or set %s): %v", dir, handler.EnvModels, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

var (
	encOnce sync.Once
	enc     *dlib.Encoder
	encErr  error
)

// testEncoder is one encoder for the whole package: loading the models
// takes a while, and the handler must work with a shared encoder anyway.
func testEncoder(t testing.TB) *dlib.Encoder {
	t.Helper()
	dir := modelsDir(t)
	encOnce.Do(func() { enc, encErr = dlib.New(dir, dlib.WithWorkers(2)) })
	if encErr != nil {
		t.Fatalf("dlib.New(%s): %v", dir, encErr)
	}
	return enc
}

// stack is an S3 API on loopback (the embedded stand-in: gofakes3 plus
// notifications and fault injection) with a bucket wired to send
// ObjectCreated events to a recorder instead of a function.
type stack struct {
	url    string
	svc    *s3svc.Service
	faults *s3svc.Faults
	client *s3.Client

	mu     sync.Mutex
	events [][]byte
}

func newStack(t testing.TB, buckets ...string) *stack {
	t.Helper()
	st := &stack{faults: &s3svc.Faults{}}
	svc, err := s3svc.New(
		s3svc.WithInvoker(s3svc.InvokerFunc(st.deliver)),
		s3svc.WithFaults(st.faults),
		s3svc.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	)
	if err != nil {
		t.Fatalf("s3svc.New: %v", err)
	}
	srv := httptest.NewServer(svc) // 127.0.0.1
	t.Cleanup(func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Errorf("s3svc Close: %v", err)
		}
	})
	st.url, st.svc = srv.URL, svc
	st.client = newClient(srv.URL)
	for _, b := range buckets {
		if _, err := st.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("CreateBucket %s: %v", b, err)
		}
		_, err := st.client.PutBucketNotificationConfiguration(ctxT(t), &s3.PutBucketNotificationConfigurationInput{
			Bucket: aws.String(b),
			NotificationConfiguration: &types.NotificationConfiguration{
				LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{{
					LambdaFunctionArn: aws.String(testFunctionARN),
					Events:            []types.Event{"s3:ObjectCreated:*"},
				}},
			},
		})
		if err != nil {
			t.Fatalf("PutBucketNotificationConfiguration %s: %v", b, err)
		}
	}
	return st
}

// newClient is a client as tests configure one for a local stack: a short
// backoff keeps retry tests quick, three attempts make faults easy to aim.
func newClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.MaxBackoff = 10 * time.Millisecond
		}),
	})
}

func (st *stack) deliver(_ context.Context, arn string, payload []byte) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.events = append(st.events, append([]byte(nil), payload...))
	return nil
}

// upload puts an object and returns the S3 event the stand-in sent for it:
// the key in it is encoded exactly as S3 encodes keys in events.
func (st *stack) upload(t testing.TB, bucket, key string, data []byte) events.S3EventRecord {
	t.Helper()
	// Events of earlier writes (a result the handler just wrote to this
	// bucket) are delivered first, so that only this upload's is counted.
	if err := st.svc.WaitIdle(ctxT(t)); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
	st.mu.Lock()
	before := len(st.events)
	st.mu.Unlock()
	if _, err := st.client.PutObject(ctxT(t), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
	}); err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	if err := st.svc.WaitIdle(ctxT(t)); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.events) != before+1 {
		t.Fatalf("upload of %s/%s sent %d events, want 1", bucket, key, len(st.events)-before)
	}
	var ev events.S3Event
	if err := json.Unmarshal(st.events[before], &ev); err != nil {
		t.Fatalf("event is not an S3 event: %v\n%s", err, st.events[before])
	}
	if len(ev.Records) != 1 {
		t.Fatalf("event has %d records, want 1", len(ev.Records))
	}
	return ev.Records[0]
}

// get reads an object; ok is false when it does not exist.
func (st *stack) get(t testing.TB, bucket, key string) (*s3.GetObjectOutput, []byte, bool) {
	t.Helper()
	out, err := st.client.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, nil, false
		}
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return out, data, true
}

// result reads and decodes a result object, failing the test when absent.
func (st *stack) result(t testing.TB, bucket, key string) (*result.Result, *s3.GetObjectOutput) {
	t.Helper()
	out, data, ok := st.get(t, bucket, key)
	if !ok {
		t.Fatalf("no result at s3://%s/%s", bucket, key)
	}
	var r result.Result
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("result s3://%s/%s is not facevec.result/v1 JSON: %v\n%s", bucket, key, err, data)
	}
	if r.Schema != result.Schema {
		t.Errorf("schema = %q, want %q", r.Schema, result.Schema)
	}
	if got := aws.ToString(out.ContentType); got != handler.ContentType {
		t.Errorf("Content-Type of %s = %q, want %q", key, got, handler.ContentType)
	}
	if r.Faces == nil {
		t.Errorf("result %s has \"faces\": null, want a list", key)
	}
	return &r, out
}

func (st *stack) head(t testing.TB, bucket, key string) *s3.HeadObjectOutput {
	t.Helper()
	out, err := st.client.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("HeadObject %s/%s: %v", bucket, key, err)
	}
	return out
}

// logBuffer collects JSON log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	t   *testing.T
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.t.Log(strings.TrimRight(string(p), "\n"))
	return b.buf.Write(p)
}

// lines returns the decoded log lines whose msg is msg.
func (b *logBuffer) lines(msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(b.buf.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func newLog(t *testing.T) (*slog.Logger, *logBuffer) {
	b := &logBuffer{t: t}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// newHandler builds a Handler on the shared encoder against st.
func newHandler(t *testing.T, st *stack, cfg handler.Config, opts ...handler.Option) (*handler.Handler, *logBuffer) {
	t.Helper()
	log, buf := newLog(t)
	if cfg.ModelsDir == "" {
		cfg.ModelsDir = modelsDir(t)
	}
	h, err := handler.New(cfg, testEncoder(t), st.client, append([]handler.Option{handler.WithLogger(log)}, opts...)...)
	if err != nil {
		t.Fatalf("handler.New: %v", err)
	}
	return h, buf
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func event(recs ...events.S3EventRecord) events.S3Event { return events.S3Event{Records: recs} }

// eventFor builds a record by hand, for objects that were never uploaded
// or event types the stand-in does not send; the key is encoded the way S3
// does ('+' for space, %XX for other bytes, '/' kept).
func eventFor(name, bucket, key, etag string, size int64) events.S3EventRecord {
	var r events.S3EventRecord
	r.EventVersion, r.EventSource, r.AWSRegion, r.EventName = "2.1", "aws:s3", "us-east-1", name
	r.S3.Bucket.Name = bucket
	r.S3.Object.Key = strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
	r.S3.Object.ETag, r.S3.Object.Size = etag, size
	return r
}

func codeOf(s handler.Summary) result.Code {
	if s.Error == nil {
		return ""
	}
	return *s.Error
}
