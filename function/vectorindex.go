package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/function/vectorindex"
)

// newVectorIndex is the index VECTOR_BUCKET/VECTOR_INDEX name, through an
// S3 Vectors client from the default configuration chain (so
// AWS_ENDPOINT_URL reaches an emulator), retrying like the S3 client.
func newVectorIndex(ctx context.Context, cfg handler.Config) (*vectorindex.Index, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = handler.MaxAttempts })
	}))
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return vectorindex.New(s3vectors.NewFromConfig(awsCfg), cfg.VectorBucket, cfg.VectorIndex)
}
