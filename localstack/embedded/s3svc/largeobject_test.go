package s3svc

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// patternReader yields n deterministic bytes without holding them.
type patternReader struct{ off, n int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		b[i] = patternByte(p.off + int64(i))
	}
	p.off += int64(len(b))
	return len(b), nil
}

// patternAt is the same bytes for io.NewSectionReader.
type patternAt struct{}

func (patternAt) ReadAt(b []byte, off int64) (int, error) {
	for i := range b {
		b[i] = patternByte(off + int64(i))
	}
	return len(b), nil
}

func patternByte(off int64) byte { return byte(off*7 + off/4093) }

// getMD5 reads bucket/key whole and returns its length, its MD5 and the
// ETag it was served with (both quoted).
func getMD5(t *testing.T, h *harness, bucket, key string) (int64, string, string) {
	t.Helper()
	out, err := h.client.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	sum := md5.New()
	n, err := io.Copy(sum, out.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return n, `"` + hex.EncodeToString(sum.Sum(nil)) + `"`, aws.ToString(out.ETag)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestLargeUploadIsNotHeldInMemory: a 256 MiB PUT leaves the stack's heap
// about where it was (the body goes to disk), and the object reads back
// whole, by range, in HEAD and in the listing, with S3's ETag.
func TestLargeUploadIsNotHeldInMemory(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "big")
	const size = 256 << 20
	sum := md5.New()
	if _, err := io.Copy(sum, &patternReader{n: size}); err != nil {
		t.Fatal(err)
	}
	etag := `"` + hex.EncodeToString(sum.Sum(nil)) + `"`

	before := heapInUse()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPut, h.url+"/big/photo.raw", &patternReader{n: size})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != etag {
		t.Fatalf("PUT: %d ETag %s, want 200 %s (%s)", resp.StatusCode, resp.Header.Get("ETag"), etag, body)
	}
	after := heapInUse()
	growth := int64(after) - int64(before)
	t.Logf("heap in use %d MiB -> %d MiB after a %d MiB upload", before>>20, after>>20, size>>20)
	if growth > 32<<20 {
		t.Errorf("the heap grew by %d MiB for a %d MiB upload: the object is held in memory", growth>>20, size>>20)
	}

	if n, sum, gotETag := getMD5(t, h, "big", "photo.raw"); n != size || sum != etag || gotETag != etag {
		t.Errorf("GET: %d bytes, md5 %s, ETag %s; want %d bytes, %s", n, sum, gotETag, size, etag)
	}
	const from, to = 100 << 20, 100<<20 + 99
	part, err := h.client.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("photo.raw"),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", from, to))})
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := io.ReadAll(part.Body)
	part.Body.Close()
	want := make([]byte, to-from+1)
	for i := range want {
		want[i] = patternByte(int64(from + i))
	}
	if string(pb) != string(want) || aws.ToString(part.ContentRange) != fmt.Sprintf("bytes %d-%d/%d", from, to, size) {
		t.Errorf("ranged GET: %d bytes, Content-Range %s; want the 100 bytes at %d of %d", len(pb), aws.ToString(part.ContentRange), from, size)
	}
	head, err := h.client.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String("big"), Key: aws.String("photo.raw")})
	if err != nil || aws.ToInt64(head.ContentLength) != size || aws.ToString(head.ETag) != etag {
		t.Errorf("HEAD: %v, length %d, ETag %s; want %d, %s", err, aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), size, etag)
	}
	list, err := h.client.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String("big")})
	if err != nil || len(list.Contents) != 1 || aws.ToInt64(list.Contents[0].Size) != size || aws.ToString(list.Contents[0].ETag) != etag {
		t.Errorf("listing: %v %+v, want one object of %d bytes, ETag %s", err, list.Contents, size, etag)
	}

	// Replaced, then deleted: the bodies go with the objects.
	h.put(t, "big", "photo.raw", "small")
	if n := h.svc.backend.blobs.bytes(); n != int64(len("small")) {
		t.Errorf("after an overwrite %d bytes of bodies are kept, want %d", n, len("small"))
	}
	if _, err := h.client.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String("big"), Key: aws.String("photo.raw")}); err != nil {
		t.Fatal(err)
	}
	if n := h.svc.backend.blobs.bytes(); n != 0 {
		t.Errorf("after the delete %d bytes of bodies are kept, want 0", n)
	}
	files, _ := filepath.Glob(filepath.Join(h.svc.backend.blobs.dir, "[0-9a-f]*"))
	if len(files) != 0 {
		t.Errorf("after the delete bodies are left in %s: %v", h.svc.backend.blobs.dir, files)
	}
}

// TestVersionsKeepTheirBodies: with versioning on, each version reads back
// its own body, and deleting a version deletes its body only.
func TestVersionsKeepTheirBodies(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "versioned")
	if _, err := h.client.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String("versioned"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	v1 := h.put(t, "versioned", "a.jpg", "first")
	h.put(t, "versioned", "a.jpg", "second!")
	if got := h.get(t, "versioned", "a.jpg"); got != "second!" {
		t.Errorf("current version %q, want second!", got)
	}
	old, err := h.client.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String("versioned"), Key: aws.String("a.jpg"), VersionId: v1.VersionId})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(old.Body)
	old.Body.Close()
	if string(b) != "first" || aws.ToInt64(old.ContentLength) != 5 {
		t.Errorf("version %s: %q (%d bytes), want first", aws.ToString(v1.VersionId), b, aws.ToInt64(old.ContentLength))
	}
	// A delete marker keeps both bodies; deleting version 1 drops its own.
	if _, err := h.client.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String("versioned"), Key: aws.String("a.jpg")}); err != nil {
		t.Fatal(err)
	}
	if n := h.svc.backend.blobs.bytes(); n != int64(len("first")+len("second!")) {
		t.Errorf("after a delete marker %d bytes of bodies are kept, want both versions'", n)
	}
	if _, err := h.client.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String("versioned"), Key: aws.String("a.jpg"), VersionId: v1.VersionId}); err != nil {
		t.Fatal(err)
	}
	if n := h.svc.backend.blobs.bytes(); n != int64(len("second!")) {
		t.Errorf("after deleting version 1, %d bytes of bodies are kept, want version 2's %d", n, len("second!"))
	}
}

// TestCloseRemovesTheBodies: the bodies' directory goes with the service.
func TestCloseRemovesTheBodies(t *testing.T) {
	svc, err := New(WithLogger(testLogger(t)), WithDataDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	dir := svc.backend.blobs.dir
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close %s: %v, want it gone", dir, err)
	}
}

// TestLargeMultipartUploadIsNotHeldInMemory: the AWS CLI and SDK upload
// large files in parts; the parts go to disk as they come, the completed
// object reads back whole, and an aborted upload leaves nothing behind.
func TestLargeMultipartUploadIsNotHeldInMemory(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "big")
	const parts, partSize = 4, 32 << 20
	whole := md5.New()
	if _, err := io.Copy(whole, &patternReader{n: parts * partSize}); err != nil {
		t.Fatal(err)
	}
	before := heapInUse()
	up, err := h.client.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("photo.raw")})
	if err != nil {
		t.Fatal(err)
	}
	var done []types.CompletedPart
	for i := range parts {
		// Seekable, as the SDK wants over plain HTTP, and never in memory.
		part := io.NewSectionReader(patternAt{}, int64(i)*partSize, partSize)
		out, err := h.client.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String("big"), Key: aws.String("photo.raw"),
			UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: part, ContentLength: aws.Int64(partSize)})
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	if growth := int64(heapInUse()) - int64(before); growth > 32<<20 {
		t.Errorf("the heap grew by %d MiB for %d MiB of parts: the parts are held in memory", growth>>20, parts*partSize>>20)
	}
	if _, err := h.client.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("photo.raw"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	if growth := int64(heapInUse()) - int64(before); growth > 32<<20 {
		t.Errorf("the heap grew by %d MiB after completing a %d MiB upload", growth>>20, parts*partSize>>20)
	}
	if n, sum, _ := getMD5(t, h, "big", "photo.raw"); n != parts*partSize || sum != `"`+hex.EncodeToString(whole.Sum(nil))+`"` {
		t.Errorf("GET after complete: %d bytes, md5 %s; want %d bytes, md5 %x", n, sum, parts*partSize, whole.Sum(nil))
	}
	if n := h.svc.backend.blobs.bytes(); n != parts*partSize {
		t.Errorf("%d bytes of bodies kept after complete, want only the object's %d", n, parts*partSize)
	}

	aborted, err := h.client.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("other.raw")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String("big"), Key: aws.String("other.raw"),
		UploadId: aborted.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part one")}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.AbortMultipartUpload(ctxT(t), &s3.AbortMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("other.raw"), UploadId: aborted.UploadId}); err != nil {
		t.Fatal(err)
	}
	if n := h.svc.backend.blobs.bytes(); n != parts*partSize {
		t.Errorf("%d bytes of bodies kept after an abort, want only the object's %d", n, parts*partSize)
	}
}

// TestPutOverFiveGiBIsRefused: S3 takes at most 5 GiB in one PUT (object or
// part) and says so from the length alone, with EntityTooLarge, before any
// of the body is sent.
func TestPutOverFiveGiBIsRefused(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "big")
	up, err := h.client.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("part.raw")})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/big/huge.raw", "/big/part.raw?partNumber=1&uploadId=" + aws.ToString(up.UploadId)} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", path, strings.TrimPrefix(h.url, "http://"), int64(5<<30)+1)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			conn.Close()
			t.Errorf("PUT %s of 5 GiB + 1 byte: %v, want 400 EntityTooLarge at once", path, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>EntityTooLarge</Code>") {
			t.Errorf("PUT %s of 5 GiB + 1 byte: %d %s, want 400 EntityTooLarge", path, resp.StatusCode, body)
		}
	}
}
