package vectorindex_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/facevec/facevec/function/vectorindex"
)

// squaring answers QueryVectors with the square of the distance the
// stand-in gives, or with another function of it: a service that
// documented its distance differently.
type squaring struct {
	*s3vectors.Client
	f func(float32) float32
}

func (s squaring) QueryVectors(ctx context.Context, in *s3vectors.QueryVectorsInput, optFns ...func(*s3vectors.Options)) (*s3vectors.QueryVectorsOutput, error) {
	out, err := s.Client.QueryVectors(ctx, in, optFns...)
	if err == nil {
		for i := range out.Vectors {
			if d := out.Vectors[i].Distance; d != nil {
				out.Vectors[i].Distance = aws.Float32(s.f(*d))
			}
		}
	}
	return out, err
}

// TestCalibrate: Calibrate tells a Euclidean distance from its square (the
// API reference does not say which QueryVectors returns, issue #28), fails
// on anything else, and leaves no probe behind; an index made
// WithSquaredDistance reports and filters Euclidean distances from a
// squaring service.
func TestCalibrate(t *testing.T) {
	client, _, ix := newIndex(t)
	ctx := context.Background()
	squared, err := ix.Calibrate(ctx)
	if err != nil || squared {
		t.Fatalf("Calibrate on the Euclidean stand-in = %v, %v; want false, nil", squared, err)
	}
	sq, err := vectorindex.New(squaring{client, func(d float32) float32 { return d * d }}, testBucket, testIndex)
	if err != nil {
		t.Fatal(err)
	}
	if squared, err := sq.Calibrate(ctx); err != nil || !squared {
		t.Fatalf("Calibrate on a squaring service = %v, %v; want true, nil", squared, err)
	}
	odd, _ := vectorindex.New(squaring{client, func(d float32) float32 { return 2 * d }}, testBucket, testIndex)
	if _, err := odd.Calibrate(ctx); !errors.Is(err, vectorindex.ErrCalibration) {
		t.Fatalf("Calibrate on a doubling service: %v, want ErrCalibration", err)
	}
	// No probe is left: a query from the origin finds nothing.
	out, err := client.QueryVectors(ctx, &s3vectors.QueryVectorsInput{VectorBucketName: aws.String(testBucket), IndexName: aws.String(testIndex),
		QueryVector: &types.VectorDataMemberFloat32{Value: make([]float32, vectorindex.Dimension)}, TopK: aws.Int32(10)})
	if err != nil || len(out.Vectors) != 0 {
		t.Fatalf("after calibrating, the index holds %d vectors (%v); want none", len(out.Vectors), err)
	}

	// Search through a squaring service with the conversion.
	rng := rand.New(rand.NewPCG(1, 2))
	face := randomFace(rng, 0)
	if err := ix.Sync(ctx, photo("photos", "a.jpg", "e1", face)); err != nil {
		t.Fatal(err)
	}
	near := append([]float32(nil), face.Descriptor...)
	near[0] += 0.3 // Euclidean 0.3, squared 0.09
	conv, _ := vectorindex.New(squaring{client, func(d float32) float32 { return d * d }}, testBucket, testIndex, vectorindex.WithSquaredDistance(true))
	m, err := conv.Query(ctx, near, 5, 0.6)
	if err != nil || len(m) != 1 || math.Abs(m[0].Distance-0.3) > 1e-4 {
		t.Fatalf("converted query %+v, %v: want the face at 0.3", m, err)
	}
	if m, err := conv.Query(ctx, near, 5, 0.2); err != nil || len(m) != 0 {
		t.Fatalf("converted query within 0.2: %+v, %v; want none (0.09 squared is 0.3 Euclidean)", m, err)
	}
}
