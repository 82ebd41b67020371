package s3svc

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestObjectLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	h.mkBucket(t, "photos")

	h.put(t, "photos", "a.txt", "alpha")
	h.put(t, "photos", "dir/b.txt", "bravo")
	if got := h.get(t, "photos", "a.txt"); got != "alpha" {
		t.Fatalf("GetObject a.txt = %q, want alpha", got)
	}

	list, err := h.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos")})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if want := []string{"a.txt", "dir/b.txt"}; !slices.Equal(keys, want) {
		t.Fatalf("keys = %v, want %v", keys, want)
	}

	if _, err := h.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("photos"), Key: aws.String("a.txt")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	_, err = h.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("a.txt")})
	if code := apiCode(err); code != "NoSuchKey" {
		t.Fatalf("GetObject after delete: err %v (code %q), want NoSuchKey", err, code)
	}

	// ReadObject sees the same store the HTTP API writes.
	b, err := h.svc.ReadObject(ctx, "photos", "dir/b.txt")
	if err != nil || string(b) != "bravo" {
		t.Fatalf("ReadObject = %q, %v; want bravo", b, err)
	}
	if _, err := h.svc.ReadObject(ctx, "photos", "a.txt"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ReadObject of a deleted key: %v, want ErrNotFound", err)
	}
	if _, err := h.svc.ReadObject(ctx, "nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ReadObject in a missing bucket: %v, want ErrNotFound", err)
	}
	if len(h.inv.invocations()) != 0 {
		t.Fatalf("events without a notification configuration: %d", len(h.inv.invocations()))
	}
}

// TestMultipartUploadEmitsOneEvent uploads two parts over 5 MiB: the parts
// emit nothing, the completion exactly one CompleteMultipartUpload event
// describing the whole object as GetObject returns it.
func TestMultipartUploadEmitsOneEvent(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	h.mkBucket(t, "inbox")
	h.notify(t, "inbox", lambdaConfig("all", testARN, []types.Event{"s3:ObjectCreated:*"}))

	part1 := bytes.Repeat([]byte("a"), 5<<20+7)
	part2 := bytes.Repeat([]byte("b"), 1<<20)
	create, err := h.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("inbox"), Key: aws.String("big/file.bin")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var parts []types.CompletedPart
	for i, body := range [][]byte{part1, part2} {
		n := int32(i + 1)
		out, err := h.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String("inbox"), Key: aws.String("big/file.bin"), UploadId: create.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(body),
		})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", n, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	h.waitIdle(t)
	if n := len(h.inv.invocations()); n != 0 {
		t.Fatalf("%d events before CompleteMultipartUpload, want 0", n)
	}
	if _, err := h.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("inbox"), Key: aws.String("big/file.bin"), UploadId: create.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	h.waitIdle(t)

	evs := h.inv.events(t)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	if ev.EventName != "ObjectCreated:CompleteMultipartUpload" {
		t.Errorf("eventName = %q", ev.EventName)
	}
	whole := append(append([]byte(nil), part1...), part2...)
	if ev.S3.Object.Size != int64(len(whole)) {
		t.Errorf("size = %d, want %d", ev.S3.Object.Size, len(whole))
	}
	head, err := h.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("inbox"), Key: aws.String("big/file.bin")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if want := strings.Trim(aws.ToString(head.ETag), `"`); ev.S3.Object.ETag != want {
		t.Errorf("eTag = %q, want the stored object's %q", ev.S3.Object.ETag, want)
	}
	got := h.get(t, "inbox", "big/file.bin")
	if got != string(whole) {
		t.Errorf("GetObject returned %d bytes, want the %d uploaded", len(got), len(whole))
	}
}

func TestCopyObjectEmitsCopyEvent(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	h.mkBucket(t, "src")
	h.mkBucket(t, "dst")
	h.notify(t, "dst", lambdaConfig("copies", testARN, []types.Event{"s3:ObjectCreated:Copy"}))
	h.put(t, "src", "orig name.jpg", "jpeg bytes")

	if _, err := h.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String("dst"), Key: aws.String("copy/new name.jpg"), CopySource: aws.String("src/orig%20name.jpg"),
	}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	h.waitIdle(t)
	evs := h.inv.events(t)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	sum := md5.Sum([]byte("jpeg bytes"))
	if ev.EventName != "ObjectCreated:Copy" || ev.S3.Bucket.Name != "dst" ||
		ev.S3.Object.URLDecodedKey != "copy/new name.jpg" || ev.S3.Object.Size != int64(len("jpeg bytes")) ||
		ev.S3.Object.ETag != hex.EncodeToString(sum[:]) {
		t.Fatalf("copy event = %+v", ev)
	}
	if got := h.get(t, "dst", "copy/new name.jpg"); got != "jpeg bytes" {
		t.Fatalf("copied object = %q", got)
	}
}

// TestFailedWritesEmitNothing: only successful writes are events.
func TestFailedWritesEmitNothing(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	h.mkBucket(t, "inbox")
	h.notify(t, "inbox", lambdaConfig("all", testARN, []types.Event{"s3:ObjectCreated:*"}))

	// Wrong Content-MD5: gofakes3 refuses the body.
	_, err := h.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("inbox"), Key: aws.String("bad.txt"), Body: strings.NewReader("data"),
		ContentMD5: aws.String("AAAAAAAAAAAAAAAAAAAAAA=="),
	})
	if err == nil {
		t.Fatal("PutObject with a wrong Content-MD5 succeeded")
	}
	// Copy from a missing source.
	_, err = h.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String("inbox"), Key: aws.String("c.txt"), CopySource: aws.String("inbox/missing"),
	})
	if code := apiCode(err); code != "NoSuchKey" {
		t.Fatalf("CopyObject from a missing key: %v, want NoSuchKey", err)
	}
	h.waitIdle(t)
	if n := len(h.inv.invocations()); n != 0 {
		t.Fatalf("%d events for failed writes, want 0", n)
	}
}
