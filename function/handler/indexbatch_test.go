package handler_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/function/vectorindex"
	"github.com/facevec/facevec/localstack/embedded/s3vectorssvc"
)

// countingAPI counts the S3 Vectors calls that reach the stand-in and can
// fail PutVectors.
type countingAPI struct {
	*s3vectors.Client
	mu       sync.Mutex
	puts     int
	gets     int
	failPuts bool
}

func (c *countingAPI) PutVectors(ctx context.Context, in *s3vectors.PutVectorsInput, optFns ...func(*s3vectors.Options)) (*s3vectors.PutVectorsOutput, error) {
	c.mu.Lock()
	c.puts++
	fail := c.failPuts
	c.mu.Unlock()
	if fail {
		return nil, errors.New("injected: PutVectors throttled")
	}
	return c.Client.PutVectors(ctx, in, optFns...)
}

func (c *countingAPI) GetVectors(ctx context.Context, in *s3vectors.GetVectorsInput, optFns ...func(*s3vectors.Options)) (*s3vectors.GetVectorsOutput, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.Client.GetVectors(ctx, in, optFns...)
}

func (c *countingAPI) counts() (puts, gets int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.puts, c.gets
}

func newCountingIndex(t *testing.T) (*vectorindex.Index, *countingAPI, *s3vectorssvc.Service) {
	t.Helper()
	svc := s3vectorssvc.New("us-east-1", "000000000000", slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	client := s3vectors.New(s3vectors.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	if _, err := client.CreateVectorBucket(ctxT(t), &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("faces-vec")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateIndex(ctxT(t), &s3vectors.CreateIndexInput{VectorBucketName: aws.String("faces-vec"), IndexName: aws.String("faces"),
		DataType: vectorindex.DataType, Dimension: aws.Int32(vectorindex.Dimension), DistanceMetric: vectorindex.DistanceMetric}); err != nil {
		t.Fatal(err)
	}
	api := &countingAPI{Client: client}
	ix, err := vectorindex.New(api, "faces-vec", "faces")
	if err != nil {
		t.Fatal(err)
	}
	return ix, api, svc
}

// TestIndexBatch: an invocation with several records (an SQS batch) writes
// all their faces in one PutVectors instead of one per photo, which S3
// Vectors bills at a minimum size each (issue #28: the index was three
// fifths of the cost); a failed batch write leaves the results and makes
// every record of it retryable, and the retry indexes them; with a removal
// in the batch each record writes its own.
func TestIndexBatch(t *testing.T) {
	st := newStack(t, "b-in", "b-out")
	ix, api, svc := newCountingIndex(t)
	cfg := handler.DefaultConfig()
	cfg.OutputBucket = "b-out"
	h, _ := newHandler(t, st, cfg, handler.WithVectorIndex(ix))
	ctx := ctxT(t)

	recs := []string{"one.jpg", "group.jpg", "noface.jpg"}
	ev := event(st.upload(t, "b-in", recs[0], testImage(t, "one")), st.upload(t, "b-in", recs[1], testImage(t, "group")),
		st.upload(t, "b-in", recs[2], testImage(t, "noface")))
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	faces := 0
	for _, s := range resp.Results {
		faces += s.Faces
	}
	puts, gets := api.counts()
	if puts != 1 || gets != 3 {
		t.Errorf("%d PutVectors and %d GetVectors for 3 photos, want 1 and 3", puts, gets)
	}
	if got := svc.Stats().Vectors; got != faces || faces < 3 {
		t.Errorf("index holds %d vectors for %d faces", got, faces)
	}

	// A failing batch write: results written, every record with faces to
	// index retryable; the redelivery only indexes.
	api.failPuts = true
	ev = event(st.upload(t, "b-in", "again/one.jpg", testImage(t, "one")), st.upload(t, "b-in", "again/group.jpg", testImage(t, "group")))
	resp, err = h.Handle(ctx, ev)
	if !errors.Is(err, handler.ErrRetryable) {
		t.Fatalf("Handle with a failing PutVectors: %v, want ErrRetryable", err)
	}
	for _, s := range resp.Results {
		if !s.Retryable {
			t.Errorf("%s: %+v, want retryable", s.Key, s)
		}
		if _, out := st.result(t, "b-out", s.ResultKey); out == nil {
			t.Errorf("%s: result not written", s.Key)
		}
	}
	api.failPuts = false
	if _, err := h.Handle(ctx, ev); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if got := svc.Stats().Vectors; got <= faces {
		t.Errorf("after the redelivery the index holds %d vectors, want more than %d", got, faces)
	}

	// A removal in the batch: no deferral, one PutVectors per photo.
	before, _ := api.counts()
	del := eventFor("ObjectRemoved:Delete", "b-in", "gone.jpg", "", 0)
	if _, err := h.Handle(ctx, event(st.upload(t, "b-in", "third/one.jpg", testImage(t, "one")),
		st.upload(t, "b-in", "third/group.jpg", testImage(t, "group")), del)); err != nil {
		t.Fatal(err)
	}
	if after, _ := api.counts(); after-before != 2 {
		t.Errorf("%d PutVectors for two photos beside a removal, want 2 (one each)", after-before)
	}
}
