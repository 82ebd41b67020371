package s3svc

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// DeleteObject and DeleteObjects emit ObjectRemoved:Delete for each object
// that existed, to configurations that ask for it, filters applied.
func TestObjectRemovedEvents(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "photos")
	h.notify(t, "photos",
		lambdaConfig("created", testARN, []types.Event{"s3:ObjectCreated:*"}, rule("suffix", ".jpg")),
		lambdaConfig("removed", testARN2, []types.Event{"s3:ObjectRemoved:*"}, rule("suffix", ".jpg")))
	for _, k := range []string{"a b.jpg", "c.jpg", "d.jpg", "notes.txt"} {
		h.put(t, "photos", k, "x")
	}
	h.waitIdle(t)
	created := len(h.inv.invocations())
	ctx := ctxT(t)
	for _, k := range []string{"a b.jpg", "notes.txt", "never there.jpg"} {
		if _, err := h.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("photos"), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("photos"), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("c.jpg")}, {Key: aws.String("d.jpg")}, {Key: aws.String("gone.jpg")}},
	}}); err != nil {
		t.Fatal(err)
	}
	h.waitIdle(t)
	invs := h.inv.invocations()[created:]
	got := map[string]string{}
	for _, inv := range invs {
		var ev eventMessage
		if err := json.Unmarshal(inv.payload, &ev); err != nil {
			t.Fatal(err)
		}
		r := ev.Records[0]
		if inv.arn != testARN2 || r.S3.ConfigurationID != "removed" {
			t.Errorf("removal of %s went to %s (configuration %s)", r.S3.Object.Key, inv.arn, r.S3.ConfigurationID)
		}
		got[r.S3.Object.Key] = r.EventName
	}
	want := map[string]string{"a+b.jpg": "ObjectRemoved:Delete", "c.jpg": "ObjectRemoved:Delete", "d.jpg": "ObjectRemoved:Delete"}
	if len(got) != len(want) || len(invs) != len(want) {
		t.Fatalf("removal events %v (%d), want %v", got, len(invs), want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("event for %s = %q, want %q", k, got[k], v)
		}
	}
}
