package provision

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/facevec/facevec/localstack/embedded/s3vectorssvc"
)

func TestEnsureVectorIndex(t *testing.T) {
	srv := httptest.NewServer(s3vectorssvc.New("us-east-1", "000000000000", slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	c := s3vectors.New(s3vectors.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	ctx := context.Background()

	changes, err := ensureVectorIndex(ctx, c, "faces-vec", "faces")
	if err != nil || len(changes) != 2 {
		t.Fatalf("first: %v, %v; want bucket and index created", changes, err)
	}
	changes, err = ensureVectorIndex(ctx, c, "faces-vec", "faces")
	if err != nil || len(changes) != 0 {
		t.Errorf("second: %v, %v; want no change", changes, err)
	}
	// An existing index with other settings is refused, not used.
	if _, err := c.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: aws.String("faces-vec"), IndexName: aws.String("text"),
		DataType: "float32", Dimension: aws.Int32(1024), DistanceMetric: "cosine"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ensureVectorIndex(ctx, c, "faces-vec", "text"); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("index of 1024-d cosine vectors: %v, want refused", err)
	}
	if _, err := ensureVectorIndex(ctx, nil, "faces-vec", "faces"); err == nil {
		t.Error("no client: no error")
	}
}

func TestSpecVectorIndex(t *testing.T) {
	s := Spec{InputBucket: "in-bucket", FunctionName: "f", ZipPath: "x.zip", VectorBucket: "faces-vec", VectorIndex: "faces"}.withDefaults()
	if err := s.validate(); err != nil {
		t.Fatal(err)
	}
	env := s.env()
	if env["VECTOR_BUCKET"] != "faces-vec" || env["VECTOR_INDEX"] != "faces" {
		t.Errorf("env %v lacks the vector index", env)
	}
	for _, c := range desiredConfigs(s, "arn:aws:lambda:us-east-1:000000000000:function:f") {
		if len(c.Events) != 2 || c.Events[1] != objectRemoved {
			t.Errorf("configuration %s has events %v, want ObjectCreated and ObjectRemoved", aws.ToString(c.Id), c.Events)
		}
	}
	s.VectorIndex = ""
	if err := s.validate(); err == nil {
		t.Error("VectorBucket without VectorIndex validated")
	}
	if c := desiredConfigs(s, "arn"); len(c[0].Events) != 1 {
		t.Errorf("without an index: events %v, want ObjectCreated only", c[0].Events)
	}
}
