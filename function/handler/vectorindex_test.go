package handler_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/function/vectorindex"
	"github.com/facevec/facevec/localstack/embedded/s3vectorssvc"
	"github.com/facevec/facevec/result"
)

// flakyIndex is a real index whose next Sync can be made to fail, and
// which counts its writes.
type flakyIndex struct {
	*vectorindex.Index
	mu       sync.Mutex
	failNext bool
	syncs    int
}

func (f *flakyIndex) Sync(ctx context.Context, res *result.Result) error {
	f.mu.Lock()
	fail := f.failNext
	f.failNext = false
	f.syncs++
	f.mu.Unlock()
	if fail {
		return errors.New("injected: S3 Vectors unavailable")
	}
	return f.Index.Sync(ctx, res)
}

func (f *flakyIndex) writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncs
}

// newVectorIndex serves S3 Vectors on loopback with one 128-d euclidean
// index.
func newVectorIndex(t *testing.T) (*flakyIndex, *s3vectorssvc.Service) {
	t.Helper()
	svc := s3vectorssvc.New("us-east-1", "000000000000", slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	client := s3vectors.New(s3vectors.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	if _, err := client.CreateVectorBucket(ctxT(t), &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("faces-vec")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateIndex(ctxT(t), &s3vectors.CreateIndexInput{
		VectorBucketName: aws.String("faces-vec"), IndexName: aws.String("faces"),
		DataType: vectorindex.DataType, Dimension: aws.Int32(vectorindex.Dimension), DistanceMetric: vectorindex.DistanceMetric,
	}); err != nil {
		t.Fatal(err)
	}
	ix, err := vectorindex.New(client, "faces-vec", "faces")
	if err != nil {
		t.Fatal(err)
	}
	return &flakyIndex{Index: ix}, svc
}

func TestVectorIndexFollowsResults(t *testing.T) {
	st := newStack(t, "photos-in", "photos-out")
	ix, svc := newVectorIndex(t)
	cfg := handler.DefaultConfig()
	cfg.OutputBucket = "photos-out"
	h, _ := newHandler(t, st, cfg, handler.WithVectorIndex(ix))
	ctx := ctxT(t)
	vectors := func() int { return svc.Stats().Vectors }

	// A group photo: every face is indexed, and each face's own descriptor
	// finds it first, at distance 0, with the photo's key, ETag and box.
	rec := st.upload(t, "photos-in", "party/group.jpg", testImage(t, "group"))
	resp, err := h.Handle(ctx, event(rec))
	if err != nil {
		t.Fatal(err)
	}
	res, _ := st.result(t, "photos-out", resp.Results[0].ResultKey)
	if len(res.Faces) < 2 {
		t.Fatalf("group image has %d faces; the test needs several", len(res.Faces))
	}
	if vectors() != len(res.Faces) {
		t.Fatalf("index holds %d vectors for %d faces", vectors(), len(res.Faces))
	}
	for n, f := range res.Faces {
		m, err := ix.Query(ctx, f.Descriptor, 1, 1e-4)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != 1 || m[0].Bucket != "photos-in" || m[0].Key != "party/group.jpg" || m[0].Face.Face != n ||
			m[0].ETag != res.Source.ETag || m[0].Box != f.Box {
			t.Errorf("face %d: query found %+v, want itself (etag %s, box %+v)", n, m, res.Source.ETag, f.Box)
		}
	}

	// Redelivery: nothing written to the index, nothing added.
	writes := ix.writes()
	resp, err = h.Handle(ctx, event(rec))
	if err != nil || resp.Results[0].Skipped != handler.SkipAlreadyEncoded {
		t.Fatalf("redelivery: %+v, %v", resp.Results[0], err)
	}
	if ix.writes() != writes || vectors() != len(res.Faces) {
		t.Errorf("redelivery wrote %d times to the index and left %d vectors, want 0 writes and %d", ix.writes()-writes, vectors(), len(res.Faces))
	}

	// The key now holds a one-face photo: the other faces leave the index.
	rec = st.upload(t, "photos-in", "party/group.jpg", testImage(t, "one"))
	if _, err := h.Handle(ctx, event(rec)); err != nil {
		t.Fatal(err)
	}
	if vectors() != 1 {
		t.Errorf("index holds %d vectors after the group photo became a one-face photo, want 1", vectors())
	}

	// Indexing fails: the result is written all the same, the invocation
	// is retryable, and the retry indexes it without encoding again.
	ix.mu.Lock()
	ix.failNext = true
	ix.mu.Unlock()
	rec2 := st.upload(t, "photos-in", "solo.jpg", testImage(t, "one"))
	resp, err = h.Handle(ctx, event(rec2))
	if !errors.Is(err, handler.ErrRetryable) || !resp.Results[0].Retryable {
		t.Fatalf("a failed index write: %+v, %v; want a retryable failure", resp.Results[0], err)
	}
	if r, _ := st.result(t, "photos-out", resp.Results[0].ResultKey); len(r.Faces) != 1 {
		t.Fatalf("result after the failed index write has %d faces, want 1", len(r.Faces))
	}
	if vectors() != 1 {
		t.Fatalf("index holds %d vectors after a failed write, want 1", vectors())
	}
	resp, err = h.Handle(ctx, event(rec2))
	if err != nil || resp.Results[0].Skipped != handler.SkipAlreadyEncoded {
		t.Fatalf("retry: %+v, %v", resp.Results[0], err)
	}
	if vectors() != 2 {
		t.Errorf("index holds %d vectors after the retry, want 2", vectors())
	}

	// ObjectRemoved of a key that still exists (a late event) removes
	// nothing.
	removed := eventFor("ObjectRemoved:Delete", "photos-in", "solo.jpg", "", 0)
	resp, err = h.Handle(ctx, event(removed))
	if err != nil || resp.Results[0].Skipped != handler.SkipObjectBack || vectors() != 2 {
		t.Errorf("ObjectRemoved for an existing object: %+v, %v, %d vectors", resp.Results[0], err, vectors())
	}
	// Deleted: its face leaves the index; a redelivery removes nothing more.
	if _, err := st.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("photos-in"), Key: aws.String("solo.jpg")}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 0} {
		resp, err = h.Handle(ctx, event(removed))
		if err != nil || resp.Results[0].RemovedVectors != want || vectors() != 1 {
			t.Errorf("ObjectRemoved delivery %d: %+v, %v, %d vectors left; want %d removed, 1 left", i+1, resp.Results[0], err, vectors(), want)
		}
	}
}

// Without an index, ObjectRemoved is skipped as before.
func TestObjectRemovedWithoutIndex(t *testing.T) {
	st := newStack(t, "photos-in")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	resp, err := h.Handle(ctxT(t), event(eventFor("ObjectRemoved:Delete", "photos-in", "a.jpg", "", 0)))
	if err != nil || resp.Results[0].Skipped != handler.SkipNotCreated {
		t.Errorf("%+v, %v", resp.Results[0], err)
	}
}

func TestConfigVectorIndex(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	c, err := handler.ConfigFromEnv(env(map[string]string{handler.EnvVectorBucket: "faces-vec", handler.EnvVectorIndex: "faces"}))
	if err != nil || c.VectorBucket != "faces-vec" || c.VectorIndex != "faces" {
		t.Errorf("both set: %+v, %v", c, err)
	}
	for name, kv := range map[string]map[string]string{
		"bucket only": {handler.EnvVectorBucket: "faces-vec"},
		"index only":  {handler.EnvVectorIndex: "faces"},
		"bad bucket":  {handler.EnvVectorBucket: "Faces_Vec", handler.EnvVectorIndex: "faces"},
		"bad index":   {handler.EnvVectorBucket: "faces-vec", handler.EnvVectorIndex: "x"},
	} {
		_, err := handler.ConfigFromEnv(env(kv))
		if !errors.Is(err, handler.ErrConfig) || !strings.Contains(err.Error(), "VECTOR_") {
			t.Errorf("%s: %v, want ErrConfig naming the variable", name, err)
		}
	}
}
