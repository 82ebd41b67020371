package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/facevec/facevec/function/vectorindex"
)

// VectorsAPI is the part of *s3vectors.Client Apply uses.
type VectorsAPI interface {
	CreateVectorBucket(ctx context.Context, in *s3vectors.CreateVectorBucketInput, optFns ...func(*s3vectors.Options)) (*s3vectors.CreateVectorBucketOutput, error)
	CreateIndex(ctx context.Context, in *s3vectors.CreateIndexInput, optFns ...func(*s3vectors.Options)) (*s3vectors.CreateIndexOutput, error)
	GetIndex(ctx context.Context, in *s3vectors.GetIndexInput, optFns ...func(*s3vectors.Options)) (*s3vectors.GetIndexOutput, error)
}

func (s Spec) validateVectorIndex() error {
	switch {
	case s.VectorBucket == "" && s.VectorIndex == "":
		return nil
	case s.VectorBucket == "" || s.VectorIndex == "":
		return fmt.Errorf("VectorBucket %q and VectorIndex %q: set both, or neither", s.VectorBucket, s.VectorIndex)
	}
	return vectorindex.CheckNames(s.VectorBucket, s.VectorIndex)
}

// ensureVectorIndex creates the vector bucket and index unless they exist;
// an existing index must have the settings facevec's vectors need.
func ensureVectorIndex(ctx context.Context, api VectorsAPI, bucket, index string) ([]string, error) {
	if api == nil {
		return nil, errors.New("the spec names a vector index but Apply has no S3 Vectors client (WithVectors)")
	}
	var changes []string
	_, err := api.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String(bucket)})
	switch {
	case err == nil:
		changes = append(changes, "created vector bucket "+bucket)
	case !isCode(err, "ConflictException"):
		return nil, fmt.Errorf("create vector bucket %s: %w", bucket, err)
	}
	_, err = api.CreateIndex(ctx, &s3vectors.CreateIndexInput{
		VectorBucketName: aws.String(bucket), IndexName: aws.String(index),
		DataType: vectorindex.DataType, Dimension: aws.Int32(vectorindex.Dimension), DistanceMetric: vectorindex.DistanceMetric,
	})
	switch {
	case err == nil:
		return append(changes, "created vector index "+bucket+"/"+index), nil
	case !isCode(err, "ConflictException"):
		return changes, fmt.Errorf("create vector index %s/%s: %w", bucket, index, err)
	}
	got, err := api.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(index)})
	if err != nil {
		return changes, fmt.Errorf("get vector index %s/%s: %w", bucket, index, err)
	}
	ix := got.Index
	if ix == nil || aws.ToInt32(ix.Dimension) != vectorindex.Dimension || ix.DataType != vectorindex.DataType || ix.DistanceMetric != vectorindex.DistanceMetric {
		return changes, fmt.Errorf("vector index %s/%s exists with other settings (%+v); facevec needs dimension %d, %s, %s",
			bucket, index, ix, vectorindex.Dimension, vectorindex.DataType, vectorindex.DistanceMetric)
	}
	return changes, nil
}
