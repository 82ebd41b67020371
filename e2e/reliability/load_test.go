//go:build e2e

package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/facevec/facevec/localstack/provision"
)

const (
	loadUploads = 200
	loadWorkers = 16
)

// upload is one object of the burst.
type upload struct {
	key  string
	etag string
	size int
}

// TestLoadAndRedelivery uploads 200 small face images at once from 16
// goroutines and checks that exactly 200 results appear, none lost, none
// written twice, each for the object version that was uploaded. It then
// delivers every event a second time, as S3's at-least-once delivery may,
// and checks that no result is rewritten.
func TestLoadAndRedelivery(t *testing.T) {
	st := newStack(t, stackConfig{spec: provision.Spec{}})
	token := "facevec-e2e-payload-" + randomHex(t, 12)
	images := [][]byte{fixture(t, "formats/hopper-paletted.png"), fixture(t, "formats/collins-paletted.png")}

	uploads := make([]upload, loadUploads)
	data := make([][]byte, loadUploads)
	for i := range uploads {
		uploads[i].key = fmt.Sprintf("load/img-%03d.png", i)
		// A text chunk makes every object's bytes (and ETag) unique and
		// carries a marker the log scan looks for.
		data[i] = withPNGText(t, images[i%len(images)], "Comment", fmt.Sprintf("%s-%03d", token, i))
		uploads[i].size = len(data[i])
	}

	start := time.Now()
	ctx := ctxFor(t, 2*time.Minute)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, loadWorkers)
	for range loadWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= loadUploads {
					return
				}
				etag, err := st.put(ctx, uploads[i].key, data[i])
				if err != nil {
					errs <- err
					return
				}
				uploads[i].etag = etag
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	uploaded := time.Since(start)
	st.settle(t)
	t.Logf("%d uploads from %d goroutines in %v; all results %v after the first upload",
		loadUploads, loadWorkers, uploaded.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	if s := st.srv.S3().Stats(); s.Delivered < loadUploads || s.Failed != 0 {
		t.Errorf("notification stats %+v, want %d delivered and none failed", s, loadUploads)
	}
	st.noDeadLetters(t)
	first := st.list(t, prefix+inBucket+"/load/")
	if len(first) != loadUploads {
		t.Fatalf("%d results after %d uploads", len(first), loadUploads)
	}
	for _, u := range uploads {
		if _, ok := first[resultKey(u.key)]; !ok {
			t.Errorf("result of %s missing", u.key)
			continue
		}
		r := st.result(t, u.key)
		if r.Error != nil || len(r.Faces) != 1 {
			t.Errorf("%s: error %+v, %d faces; want one face", u.key, r.Error, len(r.Faces))
		}
		if r.Source.Key != u.key || r.Source.ETag != u.etag || r.Source.Size != int64(u.size) {
			t.Errorf("%s: source %+v, want etag %s size %d", u.key, r.Source, u.etag, u.size)
		}
	}
	logs := st.functionLogs()
	lines := parseLines(logs)
	assertNoCrash(t, logs)
	w := writes(lines)
	for _, u := range uploads {
		if w[u.key] != 1 {
			t.Errorf("%s written %d times, want once", u.key, w[u.key])
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Redelivery: the same events once more, through the Lambda API as
	// asynchronous (Event) invocations, as S3 delivers them.
	start = time.Now()
	var redeliver sync.WaitGroup
	rerrs := make(chan error, loadUploads)
	sem := make(chan struct{}, loadWorkers)
	for _, u := range uploads {
		sem <- struct{}{}
		redeliver.Add(1)
		go func() {
			defer redeliver.Done()
			defer func() { <-sem }()
			if err := st.invokeAsync(ctx, s3Event(st.srv.Region(), u)); err != nil {
				rerrs <- fmt.Errorf("redeliver %s: %w", u.key, err)
			}
		}()
	}
	redeliver.Wait()
	close(rerrs)
	for err := range rerrs {
		t.Fatal(err)
	}
	st.settle(t)
	t.Logf("redelivered %d events in %v", loadUploads, time.Since(start).Round(time.Millisecond))
	st.noDeadLetters(t)

	second := st.list(t, prefix+inBucket+"/load/")
	if len(second) != loadUploads {
		t.Errorf("%d results after redelivery, want %d", len(second), loadUploads)
	}
	for k, a := range first {
		if b := second[k]; b.ETag != a.ETag || !b.LastModified.Equal(a.LastModified) {
			t.Errorf("%s rewritten by the redelivery: ETag %s → %s, LastModified %v → %v", k, a.ETag, b.ETag, a.LastModified, b.LastModified)
		}
	}
	logs = st.functionLogs()
	lines = parseLines(logs)
	assertNoCrash(t, logs)
	assertJSONLogs(t, logs)
	w = writes(lines)
	skipped := 0
	for _, l := range lines {
		if l.str("msg") == msgSkipped && l.str("reason") == "already_encoded" && strings.HasPrefix(l.str("key"), "load/") {
			skipped++
		}
	}
	for _, u := range uploads {
		if w[u.key] != 1 {
			t.Errorf("%s written %d times after the redelivery, want once", u.key, w[u.key])
		}
	}
	if skipped != loadUploads {
		t.Errorf("%d redelivered records skipped as already encoded, want %d", skipped, loadUploads)
	}
	assertLogHygiene(t, "function logs", logs, []string{st.secret}, []string{token})
	assertLogHygiene(t, "stack log", st.log.String(), []string{st.secret}, []string{token})
}

// s3Event is the ObjectCreated:Put notification S3 sends for u, with the
// key form-encoded the way S3 writes keys into events.
func s3Event(region string, u upload) []byte {
	ev := map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": region,
		"eventTime": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "eventName": "ObjectCreated:Put",
		"userIdentity":      map[string]any{"principalId": "AWS:e2e-reliability"},
		"requestParameters": map[string]any{"sourceIPAddress": "127.0.0.1"},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": "redelivery",
			"bucket": map[string]any{"name": inBucket, "arn": "arn:aws:s3:::" + inBucket},
			"object": map[string]any{"key": eventKey(u.key), "size": u.size, "eTag": u.etag},
		},
	}}}
	b, _ := json.Marshal(ev)
	return b
}

// invokeAsync queues payload for the function with InvocationType Event,
// which S3 notifications use too.
func (st *stack) invokeAsync(ctx context.Context, payload []byte) error {
	out, err := st.lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(fnName),
		InvocationType: ltypes.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return err
	}
	if out.StatusCode != 202 {
		return fmt.Errorf("Invoke (Event) answered %d, want 202", out.StatusCode)
	}
	return nil
}

// eventKey is key as S3 writes it into an event: form-encoded ('+' for a
// space, %XX for other bytes), '/' kept.
func eventKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}
