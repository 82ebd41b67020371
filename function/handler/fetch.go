package handler

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/result"
)

// object is an input image read from S3.
type object struct {
	data      []byte
	etag      string // quotes stripped
	versionID string
	size      int64 // Content-Length as S3 reported it
}

// fetch reads bucket/key into memory, never more than maxBytes+1 bytes:
// Content-Length is checked before reading, and the body is read through
// a limit in case the header is missing or wrong. An object over the
// limit wraps result.ErrTooLarge and still reports its ETag and size.
func fetch(ctx context.Context, client S3API, bucket, key string, maxBytes int64) (*object, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	// Closing without draining drops the connection when the body is big,
	// which is what we want for an oversized object.
	defer out.Body.Close()

	obj := &object{
		etag:      trimETag(aws.ToString(out.ETag)),
		versionID: aws.ToString(out.VersionId),
		size:      aws.ToInt64(out.ContentLength),
	}
	if obj.size > maxBytes {
		return obj, result.Errorf(result.CodeTooLarge,
			"s3://%s/%s is %d bytes, more than MAX_OBJECT_BYTES (%d)", bucket, key, obj.size, maxBytes)
	}

	var buf bytes.Buffer
	if obj.size > 0 {
		buf.Grow(int(obj.size))
	}
	n, err := io.Copy(&buf, io.LimitReader(out.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s after %d bytes: %w", bucket, key, n, err)
	}
	if n > maxBytes {
		obj.size = max(obj.size, n)
		return obj, result.Errorf(result.CodeTooLarge,
			"s3://%s/%s is more than MAX_OBJECT_BYTES (%d) bytes", bucket, key, maxBytes)
	}
	if out.ContentLength != nil && n != obj.size {
		// A short body is a broken transfer, not a short image; a retry
		// should get the whole object.
		return nil, fmt.Errorf("read s3://%s/%s: got %d of %d bytes: %w", bucket, key, n, obj.size, io.ErrUnexpectedEOF)
	}
	obj.size = n
	obj.data = buf.Bytes()
	return obj, nil
}

// trimETag strips the quotes S3 puts around ETags in HTTP headers; event
// records carry them bare.
func trimETag(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
