package s3svc

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// TestConditionalPutIsAtomic: of many writers that each create a key only
// if it is absent (If-None-Match: *), or replace the version they read
// (If-Match), exactly one wins per round, as on S3; the others get 412.
// Bodies of 2 MiB keep each write busy long enough for the others to
// pass gofakes3's own check, made before the body is read.
func TestConditionalPutIsAtomic(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "out")
	ctx := ctxT(t)
	const writers = 16
	race := func(in func(i int) *s3.PutObjectInput) (won int, lost []error) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := h.client.PutObject(ctx, in(i))
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won++
				} else {
					lost = append(lost, err)
				}
			}()
		}
		wg.Wait()
		return won, lost
	}
	check := func(what string, won int, lost []error) {
		t.Helper()
		if won != 1 {
			t.Errorf("%s: %d writers won, want exactly 1", what, won)
		}
		for _, err := range lost {
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != "PreconditionFailed" {
				t.Errorf("%s: a losing writer got %v, want PreconditionFailed", what, err)
			}
		}
	}
	won, lost := race(func(i int) *s3.PutObjectInput {
		return &s3.PutObjectInput{Bucket: aws.String("out"), Key: aws.String("r.json"),
			Body: strings.NewReader(strings.Repeat("x", 2<<20+i)), IfNoneMatch: aws.String("*")}
	})
	check("If-None-Match", won, lost)

	head, err := h.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("out"), Key: aws.String("r.json")})
	if err != nil {
		t.Fatal(err)
	}
	won, lost = race(func(i int) *s3.PutObjectInput {
		return &s3.PutObjectInput{Bucket: aws.String("out"), Key: aws.String("r.json"),
			Body: strings.NewReader(strings.Repeat("y", 2<<20+i)), IfMatch: head.ETag}
	})
	check("If-Match", won, lost)
}
