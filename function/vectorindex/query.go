package vectorindex

import (
	"context"
	"fmt"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
)

// Match is one indexed face near a query.
type Match struct {
	Face
	VectorKey string  `json:"vector_key"`
	Distance  float64 `json:"distance"`
}

// Query returns up to topK indexed faces nearest to descriptor, nearest
// first, keeping only those within tolerance (Euclidean; dlib's "same
// person" threshold is 0.6). topK is 1..MaxTopK. The service's distance is
// taken as Euclidean, or as its square with WithSquaredDistance.
func (ix *Index) Query(ctx context.Context, descriptor []float32, topK int, tolerance float64) ([]Match, error) {
	if len(descriptor) != Dimension {
		return nil, fmt.Errorf("vectorindex: query descriptor has %d values, the index takes %d", len(descriptor), Dimension)
	}
	if topK < 1 || topK > MaxTopK {
		return nil, fmt.Errorf("vectorindex: top %d: want 1 to %d (the service's limit)", topK, MaxTopK)
	}
	out, err := ix.api.QueryVectors(ctx, &s3vectors.QueryVectorsInput{
		VectorBucketName: aws.String(ix.bucket),
		IndexName:        aws.String(ix.index),
		QueryVector:      &types.VectorDataMemberFloat32{Value: descriptor},
		TopK:             aws.Int32(int32(topK)),
		ReturnDistance:   true,
		ReturnMetadata:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("vectorindex: query %s: %w", ix, err)
	}
	if out.DistanceMetric != "" && out.DistanceMetric != DistanceMetric {
		return nil, fmt.Errorf("vectorindex: index %s measures %s distance; facevec's tolerance is Euclidean", ix, out.DistanceMetric)
	}
	matches := make([]Match, 0, len(out.Vectors))
	for _, v := range out.Vectors {
		if v.Distance == nil {
			return nil, fmt.Errorf("vectorindex: query %s: vector %s came back without a distance", ix, aws.ToString(v.Key))
		}
		d := float64(*v.Distance)
		if ix.squared {
			d = math.Sqrt(d)
		}
		if d > tolerance {
			continue
		}
		f, err := faceOf(v.Metadata)
		if err != nil {
			return nil, fmt.Errorf("vectorindex: query %s: vector %s: %w", ix, aws.ToString(v.Key), err)
		}
		matches = append(matches, Match{Face: f, VectorKey: aws.ToString(v.Key), Distance: d})
	}
	return matches, nil
}
