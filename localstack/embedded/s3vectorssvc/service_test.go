package s3vectorssvc_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/facevec/facevec/localstack/embedded/s3vectorssvc"
)

func serve(t *testing.T) (*s3vectors.Client, string) {
	t.Helper()
	srv := httptest.NewServer(s3vectorssvc.New("eu-west-1", "123456789012", slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return s3vectors.New(s3vectors.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}), srv.URL
}

func vec(key string, v ...float32) types.PutInputVector {
	return types.PutInputVector{Key: aws.String(key), Data: &types.VectorDataMemberFloat32{Value: v}}
}

// A cosine index, addressed by ARN: distances are 1 − cosine similarity,
// nearest first; a zero vector has no direction and is refused.
func TestCosineIndexByARN(t *testing.T) {
	ctx := context.Background()
	c, _ := serve(t)
	b, err := c.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("vb-1")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:s3vectors:eu-west-1:123456789012:bucket/vb-1"; aws.ToString(b.VectorBucketArn) != want {
		t.Errorf("bucket ARN %s, want %s", aws.ToString(b.VectorBucketArn), want)
	}
	ix, err := c.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketArn: b.VectorBucketArn, IndexName: aws.String("text.v1"),
		DataType: types.DataTypeFloat32, Dimension: aws.Int32(2), DistanceMetric: types.DistanceMetricCosine})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetIndex(ctx, &s3vectors.GetIndexInput{IndexArn: ix.IndexArn})
	if err != nil || aws.ToInt32(got.Index.Dimension) != 2 || got.Index.DistanceMetric != types.DistanceMetricCosine || got.Index.CreationTime == nil {
		t.Fatalf("GetIndex: %+v, %v", got, err)
	}
	if _, err := c.PutVectors(ctx, &s3vectors.PutVectorsInput{IndexArn: ix.IndexArn, Vectors: []types.PutInputVector{
		vec("east", 1, 0), vec("north", 0, 3), vec("north-east", 2, 2)}}); err != nil {
		t.Fatal(err)
	}
	q, err := c.QueryVectors(ctx, &s3vectors.QueryVectorsInput{IndexArn: ix.IndexArn, TopK: aws.Int32(3), ReturnDistance: true,
		QueryVector: &types.VectorDataMemberFloat32{Value: []float32{5, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key  string
		dist float64
	}{{"east", 0}, {"north-east", 1 - math.Sqrt2/2}, {"north", 1}}
	if len(q.Vectors) != 3 || q.DistanceMetric != types.DistanceMetricCosine {
		t.Fatalf("query: %+v", q)
	}
	for i, w := range want {
		if aws.ToString(q.Vectors[i].Key) != w.key || math.Abs(float64(*q.Vectors[i].Distance)-w.dist) > 1e-6 {
			t.Errorf("result %d: %s at %v, want %s at %v", i, aws.ToString(q.Vectors[i].Key), *q.Vectors[i].Distance, w.key, w.dist)
		}
	}
	var validation *types.ValidationException
	if _, err := c.PutVectors(ctx, &s3vectors.PutVectorsInput{IndexArn: ix.IndexArn, Vectors: []types.PutInputVector{vec("zero", 0, 0)}}); !errors.As(err, &validation) {
		t.Errorf("zero vector in a cosine index: %v, want ValidationException", err)
	}
}

// Metadata over the filterable limit is refused unless its keys are
// declared non-filterable; filters and unknown operations are refused
// with a clear error rather than ignored.
func TestMetadataLimitsAndUnsupported(t *testing.T) {
	ctx := context.Background()
	c, url := serve(t)
	if _, err := c.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("vb-1")}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"plain", "notes"} {
		in := &s3vectors.CreateIndexInput{VectorBucketName: aws.String("vb-1"), IndexName: aws.String(name),
			DataType: types.DataTypeFloat32, Dimension: aws.Int32(1), DistanceMetric: types.DistanceMetricEuclidean}
		if name == "notes" {
			in.MetadataConfiguration = &types.MetadataConfiguration{NonFilterableMetadataKeys: []string{"text"}}
		}
		if _, err := c.CreateIndex(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	big := vec("k", 1)
	big.Metadata = document.NewLazyDocument(map[string]any{"text": strings.Repeat("x", 3000)})
	var validation *types.ValidationException
	if _, err := c.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String("vb-1"), IndexName: aws.String("plain"),
		Vectors: []types.PutInputVector{big}}); !errors.As(err, &validation) || !strings.Contains(err.Error(), "filterable") {
		t.Errorf("3 KB of filterable metadata: %v, want ValidationException", err)
	}
	if _, err := c.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String("vb-1"), IndexName: aws.String("notes"),
		Vectors: []types.PutInputVector{big}}); err != nil {
		t.Errorf("3 KB of non-filterable metadata: %v", err)
	}
	var notFound *types.NotFoundException
	if _, err := c.GetVectors(ctx, &s3vectors.GetVectorsInput{VectorBucketName: aws.String("vb-2"), IndexName: aws.String("notes"), Keys: []string{"k"}}); !errors.As(err, &notFound) {
		t.Errorf("missing bucket: %v, want NotFoundException", err)
	}
	_, err := c.QueryVectors(ctx, &s3vectors.QueryVectorsInput{VectorBucketName: aws.String("vb-1"), IndexName: aws.String("notes"),
		TopK: aws.Int32(1), QueryVector: &types.VectorDataMemberFloat32{Value: []float32{1}}, Filter: document.NewLazyDocument(map[string]any{"text": "x"})})
	if err == nil || !strings.Contains(err.Error(), "filter") {
		t.Errorf("query with a filter: %v, want a clear refusal", err)
	}
	resp, err := http.Post(url+"/ListVectorBuckets", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(string(body), "ListVectorBuckets") {
		t.Errorf("unknown operation: %d %s, want 501 naming it", resp.StatusCode, body)
	}
}
