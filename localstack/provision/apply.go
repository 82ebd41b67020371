package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Outputs describes the deployment after Apply.
type Outputs struct {
	// Changed is false when Apply found everything as the spec says and
	// made no change at all.
	Changed bool
	// Changes lists what Apply did, in order, for logs and test failures.
	Changes []string

	FunctionName string
	FunctionARN  string
	// Version is always "$LATEST": Apply never publishes.
	Version    string
	RevisionID string
	// CodeSHA256 is the deployed package's hash as Lambda reports it
	// (base64 SHA-256).
	CodeSHA256 string

	InputBucket  string
	OutputBucket string
	OutputPrefix string
	// VectorBucket and VectorIndex name the faces' S3 Vectors index, ""
	// without one.
	VectorBucket, VectorIndex string
	// NotificationIDs are the Ids of the input bucket's notification
	// configurations that trigger the function, one per suffix.
	NotificationIDs []string
}

// Apply deploys spec: buckets, function (from the zip staged in S3), retry
// setting, S3 invoke permission, and one notification configuration per
// suffix on the input bucket. It is idempotent; a second Apply with the same
// spec changes nothing and returns Changed == false.
func Apply(ctx context.Context, s3c *s3.Client, lc *lambda.Client, spec Spec, opts ...Option) (*Outputs, error) {
	if s3c == nil || lc == nil {
		return nil, errors.New("provision: nil S3 or Lambda client")
	}
	o := newOptions(opts)
	spec = spec.withDefaults()
	if err := spec.validate(); err != nil {
		return nil, fmt.Errorf("provision: invalid spec: %w", err)
	}
	p, err := readPackage(spec.ZipPath)
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	log := o.log.With("function", spec.FunctionName)
	out := &Outputs{
		FunctionName: spec.FunctionName,
		InputBucket:  spec.InputBucket,
		OutputBucket: spec.OutputBucket,
		OutputPrefix: spec.OutputPrefix,
	}
	note := func(change string) {
		out.Changes = append(out.Changes, change)
		out.Changed = true
		log.Info("provision: " + change)
	}

	for _, b := range spec.buckets() {
		created, err := ensureBucket(ctx, s3c, b)
		if err != nil {
			return out, fmt.Errorf("provision: %w", err)
		}
		if created {
			note("created bucket " + b)
		}
	}

	if spec.VectorIndex != "" {
		changes, err := ensureVectorIndex(ctx, o.vectors, spec.VectorBucket, spec.VectorIndex)
		if err != nil {
			return out, fmt.Errorf("provision: %w", err)
		}
		for _, c := range changes {
			note(c)
		}
		out.VectorBucket, out.VectorIndex = spec.VectorBucket, spec.VectorIndex
	}

	fn, err := ensureFunction(ctx, s3c, lc, spec, p, log)
	if err != nil {
		return out, fmt.Errorf("provision: %w", err)
	}
	for _, c := range fn.changes {
		note(c)
	}
	out.FunctionARN = aws.ToString(fn.conf.FunctionArn)
	out.Version = aws.ToString(fn.conf.Version)
	out.RevisionID = aws.ToString(fn.conf.RevisionId)
	out.CodeSHA256 = aws.ToString(fn.conf.CodeSha256)
	if out.FunctionARN == "" {
		return out, fmt.Errorf("provision: function %s has no ARN", spec.FunctionName)
	}

	if spec.MaxRetryAttempts != nil {
		changed, err := ensureRetries(ctx, lc, spec.FunctionName, *spec.MaxRetryAttempts)
		if err != nil {
			return out, fmt.Errorf("provision: %w", err)
		}
		if changed {
			note(fmt.Sprintf("set maximum retry attempts of %s to %d", spec.FunctionName, *spec.MaxRetryAttempts))
		}
	}

	if spec.ReservedConcurrency != nil {
		changed, err := ensureConcurrency(ctx, lc, spec.FunctionName, *spec.ReservedConcurrency)
		if err != nil {
			return out, fmt.Errorf("provision: %w", err)
		}
		if changed {
			note(fmt.Sprintf("set reserved concurrency of %s to %d", spec.FunctionName, *spec.ReservedConcurrency))
		}
	}

	added, err := ensurePermission(ctx, lc, spec, out.FunctionARN)
	if err != nil {
		return out, fmt.Errorf("provision: %w", err)
	}
	if added {
		note("allowed s3.amazonaws.com to invoke " + spec.FunctionName + " for " + spec.InputBucket)
	}

	want := desiredConfigs(spec, out.FunctionARN)
	changed, err := reconcileNotifications(ctx, s3c, spec.InputBucket, spec.FunctionName, out.FunctionARN, want)
	if err != nil {
		return out, fmt.Errorf("provision: %w", err)
	}
	if changed {
		note(fmt.Sprintf("set %d notification configurations on %s", len(want), spec.InputBucket))
	}
	for _, c := range want {
		out.NotificationIDs = append(out.NotificationIDs, aws.ToString(c.Id))
	}
	if !out.Changed {
		log.Info("provision: up to date")
	}
	return out, nil
}
