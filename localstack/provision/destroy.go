package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Destroy undoes Apply: it removes the function's notification
// configurations from the input bucket (others stay), deletes the function
// (its permission and retry setting go with it) and, with
// WithDeleteBuckets, empties and deletes the buckets. Whatever is already
// gone is skipped, so Destroy can run twice or after a failed Apply. It
// tries every step and reports all failures together.
func Destroy(ctx context.Context, s3c *s3.Client, lc *lambda.Client, spec Spec, opts ...Option) error {
	if s3c == nil || lc == nil {
		return errors.New("provision: nil S3 or Lambda client")
	}
	o := newOptions(opts)
	spec = spec.withDefaults()
	if err := spec.validateNames(); err != nil {
		return fmt.Errorf("provision: invalid spec: %w", err)
	}
	log := o.log.With("function", spec.FunctionName)
	var errs []error

	// The ARN identifies configurations that target the function under an
	// Id we did not give them; without the function, the Id prefix must do.
	arn := ""
	got, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(spec.FunctionName)})
	switch {
	case err == nil && got.Configuration != nil:
		arn = aws.ToString(got.Configuration.FunctionArn)
	case err != nil && !isNotFound(err):
		errs = append(errs, fmt.Errorf("get function %s: %w", spec.FunctionName, err))
	}

	changed, err := reconcileNotifications(ctx, s3c, spec.InputBucket, spec.FunctionName, arn, nil)
	switch {
	case err != nil && !isNotFound(err):
		errs = append(errs, err)
	case changed:
		log.Info("provision: removed notification configurations", "bucket", spec.InputBucket)
	}

	if _, err := lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(spec.FunctionName)}); err != nil {
		if !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete function %s: %w", spec.FunctionName, err))
		}
	} else {
		log.Info("provision: deleted function")
	}

	if o.deleteBuckets {
		for _, b := range spec.buckets() {
			if err := deleteBucket(ctx, s3c, b); err != nil {
				errs = append(errs, err)
				continue
			}
			log.Info("provision: deleted bucket", "bucket", b)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("provision: destroy %s: %w", spec.FunctionName, err)
	}
	return nil
}
