package provision

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// ensureRetries sets how often Lambda retries failed asynchronous
// invocations (S3 notifications are asynchronous). changed is false when
// the value was already right.
func ensureRetries(ctx context.Context, lc *lambda.Client, function string, attempts int32) (changed bool, err error) {
	got, err := lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(function)})
	switch {
	case err == nil:
		if got.MaximumRetryAttempts != nil && *got.MaximumRetryAttempts == attempts {
			return false, nil
		}
	case !isNotFound(err):
		return false, fmt.Errorf("get event invoke config of %s: %w", function, err)
	}
	in := &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:         aws.String(function),
		MaximumRetryAttempts: aws.Int32(attempts),
	}
	if got != nil {
		// Put replaces the whole config; keep what we do not manage.
		in.MaximumEventAgeInSeconds = got.MaximumEventAgeInSeconds
		in.DestinationConfig = got.DestinationConfig
	}
	if _, err := lc.PutFunctionEventInvokeConfig(ctx, in); err != nil {
		return false, fmt.Errorf("put event invoke config of %s: %w", function, err)
	}
	return true, nil
}

// ensureConcurrency sets the function's reserved concurrency to n unless it
// is already n.
func ensureConcurrency(ctx context.Context, lc *lambda.Client, function string, n int32) (changed bool, err error) {
	got, err := lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(function)})
	if err != nil {
		return false, fmt.Errorf("get reserved concurrency of %s: %w", function, err)
	}
	if aws.ToInt32(got.ReservedConcurrentExecutions) == n && got.ReservedConcurrentExecutions != nil {
		return false, nil
	}
	if _, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(function), ReservedConcurrentExecutions: aws.Int32(n),
	}); err != nil {
		return false, fmt.Errorf("put reserved concurrency of %s: %w", function, err)
	}
	return true, nil
}
