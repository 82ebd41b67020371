//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/fixtures"
)

// redeliveryWait bounds each step of TestRedelivery.
const redeliveryWait = 2 * time.Minute

// TestRedelivery uploads one key three times. The same bytes again make S3
// send a second event with the same ETag: the function must see that the
// result already covers it and not write again. Different bytes must
// replace the result with one for the new ETag.
func TestRedelivery(t *testing.T) {
	s := getSuite(t)
	c := s.stack.S3()
	key := "uploads/redelivery/" + s.cfg.suffix + "/portrait.jpg"
	rkey := s.resultKey(key)
	first, second := "people/grace hopper.jpg", "people/hopper-mirror.jpg"
	s.ledger.uploaded(key)
	s.ledger.expectResult(rkey)

	ctx, cancel := context.WithTimeout(rootCtx, redeliveryWait)
	defer cancel()
	etag1, _, err := putFile(ctx, c, s.in(), key, s.manifest[first].File(s.cfg.fixturesDir))
	if err != nil {
		t.Fatal(err)
	}
	head1, err := waitObject(ctx, c, s.outBucket(), rkey, nil)
	if err != nil {
		t.Fatalf("first upload: %v", err)
	}
	r1 := s.readResult(t, ctx, rkey)
	if r1.Source.ETag != etag1 {
		t.Fatalf("first result has source etag %q, want %q", r1.Source.ETag, etag1)
	}

	t.Run("same bytes", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(rootCtx, redeliveryWait)
		defer cancel()
		etag2, _, err := putFile(ctx, c, s.in(), key, s.manifest[first].File(s.cfg.fixturesDir))
		if err != nil {
			t.Fatal(err)
		}
		if etag2 != etag1 {
			t.Fatalf("S3 gave the same bytes ETag %q, then %q", etag1, etag2)
		}
		watched, err := s.awaitLog(ctx, func(l logLine) bool {
			return l.Msg == "record skipped" && l.Key == key && l.Reason == "already_encoded"
		})
		if err != nil {
			t.Fatalf("second event for %q: %v\nfunction log for this key:\n%s", key, err, s.functionLogFor(key))
		}
		if !watched {
			t.Logf("e2e: no function log on this backend; waited %s for the second event", noLogSettle)
		}
		head2, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.outBucket()), Key: aws.String(rkey)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(head2.ETag) != aws.ToString(head1.ETag) || !aws.ToTime(head2.LastModified).Equal(aws.ToTime(head1.LastModified)) {
			t.Errorf("result rewritten for identical bytes: ETag %s → %s, LastModified %v → %v",
				aws.ToString(head1.ETag), aws.ToString(head2.ETag), aws.ToTime(head1.LastModified), aws.ToTime(head2.LastModified))
		}
		t.Logf("e2e: %q re-uploaded with the same bytes: result kept (ETag %s)", key, aws.ToString(head2.ETag))
	})

	t.Run("new bytes", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(rootCtx, redeliveryWait)
		defer cancel()
		etag3, size3, err := putFile(ctx, c, s.in(), key, s.manifest[second].File(s.cfg.fixturesDir))
		if err != nil {
			t.Fatal(err)
		}
		if etag3 == etag1 {
			t.Fatalf("%s and %s have the same ETag %q", first, second, etag3)
		}
		_, err = waitObject(ctx, c, s.outBucket(), rkey, func(h *s3.HeadObjectOutput) bool {
			return aws.ToString(h.ETag) != aws.ToString(head1.ETag)
		})
		if err != nil {
			t.Fatalf("result not replaced after new bytes: %v\nfunction log for this key:\n%s", err, s.functionLogFor(key))
		}
		r3 := s.readResult(t, ctx, rkey)
		if r3.Source.ETag != etag3 || r3.Source.Size != size3 {
			t.Errorf("replaced result has source etag %q size %d, want %q size %d", r3.Source.ETag, r3.Source.Size, etag3, size3)
		}
		if err := fixtures.CompareGolden(r3, s.golden[second], boxTol, descTol); err != nil {
			t.Errorf("replaced result differs from golden %q: %v", second, err)
		}
		t.Logf("e2e: %q replaced with %s: result now for ETag %s", key, second, r3.Source.ETag)
	})
}
