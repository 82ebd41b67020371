//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/facevec/facevec/result"
)

// Polling for results: start fast (the embedded backend answers small
// images in a few hundred milliseconds) and back off so that sixty
// concurrent pollers stay cheap on a slow backend.
const (
	pollFirst = 100 * time.Millisecond
	pollMax   = 2 * time.Second
)

// putFile uploads a local file under key and returns the ETag S3 reports,
// without quotes (the form results carry).
func putFile(ctx context.Context, c *s3.Client, bucket, key, file string) (etag string, size int64, err error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", file, err)
	}
	etag, err = putBytes(ctx, c, bucket, key, data)
	return etag, int64(len(data)), err
}

func putBytes(ctx context.Context, c *s3.Client, bucket, key string, data []byte) (string, error) {
	out, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return "", fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	etag := trimETag(aws.ToString(out.ETag))
	if etag == "" {
		return "", fmt.Errorf("put s3://%s/%s: no ETag in the response", bucket, key)
	}
	return etag, nil
}

func trimETag(s string) string { return strings.Trim(s, `"`) }

// isNotFound reports whether err is S3's answer for a missing key or bucket.
func isNotFound(err error) bool {
	var nf *types.NotFound
	var nk *types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nk) {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && slices.Contains([]string{"NotFound", "NoSuchKey", "404"}, api.ErrorCode())
}

// waitObject polls HeadObject until the object exists and ok (nil: any)
// accepts it, with backoff, until ctx ends. Errors other than "not found"
// are retried too (a backend under load may refuse a request) and the last
// one is reported if time runs out.
func waitObject(ctx context.Context, c *s3.Client, bucket, key string, ok func(*s3.HeadObjectOutput) bool) (*s3.HeadObjectOutput, error) {
	delay := pollFirst
	var last error
	for {
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		switch {
		case err == nil && (ok == nil || ok(head)):
			return head, nil
		case err == nil:
			last = errors.New("present but not yet in the expected state")
		case isNotFound(err):
			last = errors.New("not found")
		case ctx.Err() == nil:
			last = err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for s3://%s/%s: %w (last: %v)", bucket, key, ctx.Err(), last)
		case <-time.After(delay):
		}
		delay = min(delay*8/5, pollMax)
	}
}

// getObject downloads an object whole.
func getObject(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, *s3.GetObjectOutput, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return data, out, nil
}

// resultFields are the top-level fields of facevec.result/v1, all required.
var resultFields = []string{"schema", "source", "image", "model", "faces", "timings_ms", "error"}

// decodeResult parses a result document strictly: every schema field
// present, no unknown field anywhere, "faces" a list (never null), nothing
// after the document.
func decodeResult(data []byte) (*result.Result, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	var missing, unknown []string
	for _, f := range resultFields {
		if _, ok := top[f]; !ok {
			missing = append(missing, f)
		}
	}
	for f := range top {
		if !slices.Contains(resultFields, f) {
			unknown = append(unknown, f)
		}
	}
	if len(missing) > 0 || len(unknown) > 0 {
		return nil, fmt.Errorf("fields missing %q, unknown %q", missing, unknown)
	}
	if bytes.Equal(bytes.TrimSpace(top["faces"]), []byte("null")) {
		return nil, errors.New(`"faces" is null; the schema wants a list ([] when there are none)`)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r result.Result
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the result document")
	}
	return &r, nil
}

// listKeys lists every key under prefix in bucket.
func listKeys(ctx context.Context, c *s3.Client, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// eventKey encodes a key the way S3 writes it into event notifications:
// form-encoded ('+' for a space, %XX for reserved and non-ASCII bytes),
// with the slashes left alone.
func eventKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	return strings.Join(parts, "/")
}
