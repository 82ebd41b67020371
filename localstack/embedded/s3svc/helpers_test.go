package s3svc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
	"github.com/aws/smithy-go"
)

const (
	testAKID = "AKIDTEST"
	testARN  = "arn:aws:lambda:us-east-1:000000000000:function:encode"
	testARN2 = "arn:aws:lambda:us-east-1:000000000000:function:other"
)

// invocation is one event an invoker received.
type invocation struct {
	arn     string
	payload []byte
}

// recorder is an Invoker that records events. failFirst makes the first
// calls fail, to exercise retries.
type recorder struct {
	mu        sync.Mutex
	got       []invocation
	calls     int
	failFirst int
	block     chan struct{} // when set, InvokeAsync waits for it to close
}

func (r *recorder) InvokeAsync(ctx context.Context, arn string, payload []byte) error {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls <= r.failFirst {
		return errors.New("function not ready")
	}
	r.got = append(r.got, invocation{arn: arn, payload: append([]byte(nil), payload...)})
	return nil
}

func (r *recorder) invocations() []invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]invocation(nil), r.got...)
}

// events decodes every recorded payload; each must hold exactly one record.
func (r *recorder) events(t *testing.T) []events.S3EventRecord {
	t.Helper()
	var out []events.S3EventRecord
	for _, inv := range r.invocations() {
		var ev events.S3Event
		if err := json.Unmarshal(inv.payload, &ev); err != nil {
			t.Fatalf("event payload is not an S3 event: %v\n%s", err, inv.payload)
		}
		if len(ev.Records) != 1 {
			t.Fatalf("event has %d records, want 1: %s", len(ev.Records), inv.payload)
		}
		out = append(out, ev.Records[0])
	}
	return out
}

type harness struct {
	svc    *Service
	url    string
	client *s3.Client
	inv    *recorder
}

// newHarness serves a Service on a loopback httptest server.
func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	inv := &recorder{}
	opts = append([]Option{WithInvoker(inv), WithLogger(testLogger(t))}, opts...)
	svc, err := New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(svc) // listens on 127.0.0.1
	t.Cleanup(func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &harness{svc: svc, url: srv.URL, client: newClient(srv.URL, 3), inv: inv}
}

// newClient is an SDK client as users configure one for a local stack. A
// short MaxBackoff keeps retry tests quick.
func newClient(endpoint string, attempts int) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testAKID, "secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.MaxBackoff = 20 * time.Millisecond
		}),
	})
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (h *harness) mkBucket(t *testing.T, name string) {
	t.Helper()
	if _, err := h.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
}

func (h *harness) put(t *testing.T, bucket, key, body string) *s3.PutObjectOutput {
	t.Helper()
	out, err := h.client.PutObject(ctxT(t), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body),
	})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

func (h *harness) get(t *testing.T, bucket, key string) string {
	t.Helper()
	out, err := h.client.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return string(b)
}

// notify sets one Lambda configuration on bucket through the SDK.
func (h *harness) notify(t *testing.T, bucket string, cfgs ...types.LambdaFunctionConfiguration) {
	t.Helper()
	_, err := h.client.PutBucketNotificationConfiguration(ctxT(t), &s3.PutBucketNotificationConfigurationInput{
		Bucket:                    aws.String(bucket),
		NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: cfgs},
	})
	if err != nil {
		t.Fatalf("PutBucketNotificationConfiguration %s: %v", bucket, err)
	}
}

func lambdaConfig(id, arn string, evs []types.Event, rules ...types.FilterRule) types.LambdaFunctionConfiguration {
	c := types.LambdaFunctionConfiguration{Id: aws.String(id), LambdaFunctionArn: aws.String(arn), Events: evs}
	if len(rules) > 0 {
		c.Filter = &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: rules}}
	}
	return c
}

func rule(name types.FilterRuleName, value string) types.FilterRule {
	return types.FilterRule{Name: name, Value: aws.String(value)}
}

func (h *harness) waitIdle(t *testing.T) {
	t.Helper()
	if err := h.svc.WaitIdle(ctxT(t)); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
}

// apiCode returns the S3 error code of err, or "" if it is not an API error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// rawRequest sends an unsigned request and returns status and body.
func rawRequest(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func serveBench(b *testing.B, h http.Handler) string {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}
