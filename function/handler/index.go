package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/result"
)

// syncIndex makes the vector index hold the faces of the result just
// written. It runs after the result is stored, so a failure here never
// loses the result: it makes the invocation fail, and the retry finds the
// result final and only indexes (ensureIndexed).
func (j *job) syncIndex(res *result.Result) error {
	if j.h.index == nil {
		return nil
	}
	if j.slot != nil {
		j.slot.res = res // written with the invocation's other records
		return nil
	}
	if err := j.h.index.Sync(j.ctx, res); err != nil {
		return fmt.Errorf("index the faces of s3://%s/%s: %w", j.src.Bucket, j.src.Key, err)
	}
	return nil
}

// ensureIndexed makes sure a result that is already final is in the vector
// index too, which it is not when the invocation that wrote it failed to
// index: one GetVectors call when it is, the result read back and indexed
// when it is not.
func (j *job) ensureIndexed(prev previous) error {
	if j.h.index == nil {
		return nil
	}
	ok, err := j.h.index.InSync(j.ctx, j.src.Bucket, j.src.Key, prev.etag, prev.faces)
	if err != nil {
		return fmt.Errorf("check the vector index for s3://%s/%s: %w", j.src.Bucket, j.src.Key, err)
	}
	if ok {
		return nil
	}
	res, err := ReadResult(j.ctx, j.h.s3, j.sum.ResultBucket, j.sum.ResultKey)
	if err != nil {
		return err
	}
	j.log.Info("result was not in the vector index; indexing it", "faces", len(res.Faces))
	return j.syncIndex(res)
}

// ReadResult downloads and decodes the result object at bucket/key.
func ReadResult(ctx context.Context, client S3API, bucket, key string) (*result.Result, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxResultBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	var r result.Result
	if len(data) > maxResultBytes {
		return nil, fmt.Errorf("s3://%s/%s is over %d bytes", bucket, key, maxResultBytes)
	}
	if err := json.Unmarshal(data, &r); err != nil || r.Schema != result.Schema {
		return nil, fmt.Errorf("s3://%s/%s is not a %s result (%v)", bucket, key, result.Schema, err)
	}
	if r.Source.Bucket == "" || r.Source.Key == "" {
		return nil, fmt.Errorf("s3://%s/%s names no source object", bucket, key)
	}
	return &r, nil
}
