package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ensureBucket creates bucket unless it exists; created reports whether it
// had to.
func ensureBucket(ctx context.Context, s3c *s3.Client, bucket string) (created bool, err error) {
	_, err = s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	switch {
	case err == nil:
		return false, nil
	case httpStatus(err) == http.StatusForbidden:
		return false, fmt.Errorf("bucket %s exists but is not accessible with these credentials (another account's?): %w", bucket, err)
	case !isNotFound(err):
		return false, fmt.Errorf("head bucket %s: %w", bucket, err)
	}

	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	// us-east-1 is the one region that must not be named: S3 rejects
	// LocationConstraint=us-east-1.
	if region := s3c.Options().Region; region != "" && region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(region),
		}
	}
	_, err = s3c.CreateBucket(ctx, in)
	switch {
	case err == nil:
		if err := s3.NewBucketExistsWaiter(s3c).Wait(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}, waitTimeout); err != nil {
			return true, fmt.Errorf("wait for bucket %s: %w", bucket, err)
		}
		return true, nil
	case isCode(err, "BucketAlreadyOwnedByYou"):
		// Created concurrently by someone using our credentials: fine.
		return false, nil
	case isCode(err, "BucketAlreadyExists"):
		return false, fmt.Errorf("create bucket %s: the name is taken by another account (bucket names are global): %w", bucket, err)
	default:
		return false, fmt.Errorf("create bucket %s: %w", bucket, err)
	}
}

// emptyBucket deletes every object (and, on versioned buckets, every
// version and delete marker) so that the bucket itself can be deleted.
func emptyBucket(ctx context.Context, s3c *s3.Client, bucket string) error {
	pages := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", bucket, err)
		}
		ids := make([]types.ObjectIdentifier, 0, len(page.Contents))
		for _, o := range page.Contents {
			ids = append(ids, types.ObjectIdentifier{Key: o.Key})
		}
		if err := deleteObjects(ctx, s3c, bucket, ids); err != nil {
			return err
		}
	}
	// Versions: best effort, since not every emulator implements the call;
	// DeleteBucket says BucketNotEmpty if anything was left behind.
	versions := s3.NewListObjectVersionsPaginator(s3c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for versions.HasMorePages() {
		page, err := versions.NextPage(ctx)
		if err != nil {
			break
		}
		var ids []types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if err := deleteObjects(ctx, s3c, bucket, ids); err != nil {
			return err
		}
	}
	return nil
}

// deleteObjects deletes ids in batches of 1000 (the DeleteObjects limit) and
// turns per-key failures into an error instead of dropping them.
func deleteObjects(ctx context.Context, s3c *s3.Client, bucket string, ids []types.ObjectIdentifier) error {
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		out, err := s3c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket),
			Delete: &types.Delete{Objects: ids[:n], Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("delete objects in %s: %w", bucket, err)
		}
		var errs []error
		for _, e := range out.Errors {
			errs = append(errs, fmt.Errorf("delete s3://%s/%s: %s: %s", bucket, aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message)))
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// deleteBucket empties and deletes bucket; a missing bucket is fine.
func deleteBucket(ctx context.Context, s3c *s3.Client, bucket string) error {
	if err := emptyBucket(ctx, s3c, bucket); err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	if _, err := s3c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	return nil
}
