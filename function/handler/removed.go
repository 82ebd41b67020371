package handler

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/result"
)

// removed handles an ObjectRemoved record when there is a vector index:
// the photo's faces leave the index. The result JSON stays (the function
// may not delete; it also records what the photo held). A late or
// redelivered event for a key that exists again changes nothing: the new
// object's ObjectCreated event indexes it.
func (h *Handler) removed(ctx context.Context, log *slog.Logger, sum Summary) (Summary, error) {
	_, err := h.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(sum.Bucket), Key: aws.String(sum.Key)})
	if err == nil {
		return h.skip(log, sum, SkipObjectBack, "the object exists again; its own ObjectCreated event indexes it")
	}
	// Without s3:ListBucket a missing object answers 403, not 404: any
	// answer but a retryable one means "gone".
	if _, retry := classify(err); retry {
		return h.removeFailed(log, sum, fmt.Errorf("head s3://%s/%s: %w", sum.Bucket, sum.Key, err))
	}
	n, err := h.index.Remove(ctx, sum.Bucket, sum.Key)
	if err != nil {
		return h.removeFailed(log, sum, err)
	}
	sum.RemovedVectors = n
	log.Info("faces removed from the vector index", "vectors", n)
	return sum, nil
}

func (h *Handler) removeFailed(log *slog.Logger, sum Summary, err error) (Summary, error) {
	sum.setError(result.CodeInternal, err.Error())
	sum.Retryable = true
	log.Error("removal failed; the invocation will be retried", "error", err)
	return sum, err
}
