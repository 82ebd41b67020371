package handler

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// MaxAttempts is the S3 client's attempts per call (the standard retryer
// backs off between them; throttling and 5xx are retried).
const MaxAttempts = 5

// NewS3Client builds the function's S3 client from the default AWS
// configuration chain (the Lambda role's credentials and AWS_REGION in
// production). The SDK itself honours AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_S3; when either is set, the client uses path-style
// addressing, which emulators (LocalStack, the embedded stack) need because
// bucket subdomains of 127.0.0.1 do not resolve.
func NewS3Client(ctx context.Context, optFns ...func(*s3.Options)) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = MaxAttempts })
	}))
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	pathStyle := os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if pathStyle {
			o.UsePathStyle = true
		}
		// The SDK prints a plain-text line to stderr for every GET whose
		// answer has no checksum (emulators, older objects); it would break
		// the JSON log stream and says nothing actionable.
		o.DisableLogOutputChecksumValidationSkipped = true
		for _, f := range optFns {
			f(o)
		}
	}), nil
}
