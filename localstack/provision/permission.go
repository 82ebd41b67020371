package provision

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// sidUnsafe matches what a policy statement ID may not contain.
var sidUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// statementID names the S3 invoke permission, per bucket, so that it can be
// recognised on the next Apply (AddPermission says ResourceConflictException).
func statementID(bucket string) string {
	sid := "facevec-s3-" + sidUnsafe.ReplaceAllString(bucket, "_")
	if len(sid) > 100 {
		sid = sid[:100]
	}
	return sid
}

// partition is the ARN partition of the function ("aws", "aws-cn",
// "aws-us-gov"), so the bucket ARN is right outside the commercial regions.
func partition(functionARN string) string {
	if parts := strings.SplitN(functionARN, ":", 3); len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}

func bucketARN(functionARN, bucket string) string {
	return "arn:" + partition(functionARN) + ":s3:::" + bucket
}

// ensurePermission lets S3 invoke the function for events of spec's input
// bucket. added is false when the statement was already there.
func ensurePermission(ctx context.Context, lc *lambda.Client, spec Spec, functionARN string) (added bool, err error) {
	in := &lambda.AddPermissionInput{
		FunctionName: aws.String(spec.FunctionName),
		StatementId:  aws.String(statementID(spec.InputBucket)),
		Action:       aws.String("lambda:InvokeFunction"),
		Principal:    aws.String("s3.amazonaws.com"),
		SourceArn:    aws.String(bucketARN(functionARN, spec.InputBucket)),
	}
	if spec.SourceAccount != "" {
		in.SourceAccount = aws.String(spec.SourceAccount)
	}
	_, err = lc.AddPermission(ctx, in)
	switch {
	case err == nil:
		return true, nil
	case isCode(err, "ResourceConflictException"):
		// The statement ID exists: a previous Apply added it.
		return false, nil
	default:
		return false, fmt.Errorf("allow s3.amazonaws.com to invoke %s: %w", spec.FunctionName, err)
	}
}
