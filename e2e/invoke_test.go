//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/result"
)

// invokeWait bounds one synchronous invocation (a cold start included).
const invokeWait = 2 * time.Minute

// invoke calls the function synchronously with payload.
func (s *suite) invoke(t *testing.T, payload []byte) *lambda.InvokeOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(rootCtx, invokeWait)
	defer cancel()
	out, err := s.stack.Lambda().Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(s.spec.FunctionName),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		t.Fatalf("invoke %s: %v", s.spec.FunctionName, err)
	}
	if out.StatusCode != 200 {
		t.Fatalf("invoke: status %d, want 200", out.StatusCode)
	}
	return out
}

// readResult downloads and strictly decodes a result object.
func (s *suite) readResult(t *testing.T, ctx context.Context, key string) *result.Result {
	t.Helper()
	data, _, err := getObject(ctx, s.stack.S3(), s.outBucket(), key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := decodeResult(data)
	if err != nil {
		t.Fatalf("s3://%s/%s: %v", s.outBucket(), key, err)
	}
	return r
}

// TestInvokeByHand feeds the function events the S3 notification never
// sends it: objects whose suffix the notification skips, an object that
// does not exist, and a payload that is no S3 event at all.
func TestInvokeByHand(t *testing.T) {
	s := getSuite(t)

	t.Run("unnotified suffixes", func(t *testing.T) {
		var objs []eventObject
		var ups []*upload
		for _, u := range s.uploads {
			if !u.Triggers {
				ups = append(ups, u)
				objs = append(objs, eventObject{Bucket: s.in(), Key: u.Key, Size: u.Size, ETag: u.ETag})
			}
		}
		if len(ups) == 0 {
			t.Skip("every fixture has a notified suffix")
		}
		for _, u := range ups {
			// The notification filter kept the function away from them.
			_, err := s.stack.S3().HeadObject(rootCtx, &s3.HeadObjectInput{Bucket: aws.String(s.outBucket()), Key: aws.String(s.resultKey(u.Key))})
			if !isNotFound(err) {
				t.Errorf("%q: a result exists (or HeadObject failed: %v) although no notification fires for its suffix", u.Key, err)
			}
			s.ledger.expectResult(s.resultKey(u.Key))
		}
		out := s.invoke(t, s3Event(s.stack.Region(), objs...))
		if out.FunctionError != nil {
			t.Fatalf("function error %q: %s", aws.ToString(out.FunctionError), out.Payload)
		}
		var resp invokeResponse
		if err := json.Unmarshal(out.Payload, &resp); err != nil {
			t.Fatalf("response %s: %v", out.Payload, err)
		}
		if len(resp.Results) != len(ups) {
			t.Fatalf("%d summaries for %d records: %s", len(resp.Results), len(ups), out.Payload)
		}
		for i, u := range ups {
			sum := resp.Results[i]
			want := string(u.Entry.Error)
			if sum.Key != u.Key || sum.ResultKey != s.resultKey(u.Key) || sum.ResultBucket != s.outBucket() ||
				sum.Error == nil || *sum.Error != want || sum.Retryable || sum.Faces != 0 {
				t.Errorf("summary %+v; want key %q, result %q in %q, error %q", sum, u.Key, s.resultKey(u.Key), s.outBucket(), want)
			}
			if !slices.Contains(resp.Failed, u.Key) {
				t.Errorf("failed %q does not list %q", resp.Failed, u.Key)
			}
			got := *u // the batch's record, with this result
			got.Result = s.readResult(t, rootCtx, s.resultKey(u.Key))
			got.ContentType = "application/json"
			checkResult(t, s, &got)
			t.Logf("e2e: %s", summary(&got))
		}
	})

	t.Run("missing object", func(t *testing.T) {
		key := "uploads/missing/" + s.cfg.suffix + "/gone away.jpg"
		s.ledger.expectResult(s.resultKey(key))
		out := s.invoke(t, s3Event(s.stack.Region(), eventObject{Bucket: s.in(), Key: key, Size: 1234, ETag: "0123456789abcdef0123456789abcdef"}))
		if out.FunctionError != nil {
			t.Fatalf("function error %q: %s", aws.ToString(out.FunctionError), out.Payload)
		}
		var resp invokeResponse
		if err := json.Unmarshal(out.Payload, &resp); err != nil {
			t.Fatalf("response %s: %v", out.Payload, err)
		}
		if len(resp.Results) != 1 || resp.Results[0].Error == nil || *resp.Results[0].Error != string(result.CodeNotFound) {
			t.Fatalf("response %s; want one not_found summary", out.Payload)
		}
		r := s.readResult(t, rootCtx, s.resultKey(key))
		if r.Error == nil || r.Error.Code != result.CodeNotFound || !strings.Contains(r.Error.Message, key) || len(r.Faces) != 0 {
			t.Errorf("result error %+v with %d faces; want not_found naming %q", r.Error, len(r.Faces), key)
		}
		t.Logf("e2e: %q (never uploaded) → %s: %s", key, r.Error.Code, r.Error.Message)
	})

	t.Run("not an event", func(t *testing.T) {
		out := s.invoke(t, []byte(`{"hello": "world"}`))
		if out.FunctionError == nil {
			t.Fatalf("no function error for a payload without S3 records; response %s", out.Payload)
		}
		var le lambdaError
		if err := json.Unmarshal(out.Payload, &le); err != nil {
			t.Fatalf("error document %s: %v", out.Payload, err)
		}
		if !strings.Contains(le.ErrorMessage, "unknown event shape") || !strings.Contains(le.ErrorMessage, `"hello"`) {
			t.Errorf("error message %q; want it to say the event shape is unknown and name what arrived", le.ErrorMessage)
		}
		t.Logf("e2e: non-S3 payload → %s: %s", aws.ToString(out.FunctionError), le.ErrorMessage)
	})
}
