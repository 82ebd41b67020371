package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/result"
)

// Metadata written on every result object (x-amz-meta-*), so that the
// idempotency check is one HeadObject rather than a download.
const (
	MetaSourceETag = "source-etag"
	MetaFaces      = "faces"
	MetaErrorCode  = "error-code"
)

// ContentType of result objects.
const ContentType = "application/json"

// maxResultBytes bounds the download of a result that lacks our metadata
// (written by an older version, or copied): about 10,000 faces.
const maxResultBytes = 16 << 20

// previous is what an existing result says about the source it encoded.
type previous struct {
	found bool
	etag  string      // source ETag, quotes stripped
	code  result.Code // "" when the result has no error
	faces int
}

// covers reports whether the existing result is final for a source with
// this ETag. Results of transient failures (timeout, internal) are not
// final: a redelivery should try again.
func (p previous) covers(etag string) bool {
	if !p.found || etag == "" || p.etag != etag {
		return false
	}
	return p.code != result.CodeTimeout && p.code != result.CodeInternal
}

// lookup finds the existing result at bucket/key. A missing result is not
// an error.
func lookup(ctx context.Context, client S3API, bucket, key string) (previous, error) {
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return previous{}, nil
		}
		return previous{}, fmt.Errorf("head s3://%s/%s: %w", bucket, key, err)
	}
	if etag, ok := head.Metadata[MetaSourceETag]; ok {
		p := previous{found: true, etag: etag, code: result.Code(head.Metadata[MetaErrorCode])}
		p.faces, _ = strconv.Atoi(head.Metadata[MetaFaces])
		return p, nil
	}
	return download(ctx, client, bucket, key)
}

// download reads an existing result without our metadata and takes the
// source ETag from its body.
func download(ctx context.Context, client S3API, bucket, key string) (previous, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return previous{}, nil
		}
		return previous{}, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxResultBytes+1))
	if err != nil {
		return previous{}, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	var r result.Result
	if len(data) > maxResultBytes || json.Unmarshal(data, &r) != nil || r.Schema != result.Schema {
		// Not one of ours, or damaged: overwrite it with a proper result.
		return previous{}, nil
	}
	p := previous{found: true, etag: trimETag(r.Source.ETag), faces: len(r.Faces)}
	if r.Error != nil {
		p.code = r.Error.Code
	}
	return p, nil
}

// store writes res to bucket/key as JSON with the idempotency metadata.
func store(ctx context.Context, client S3API, bucket, key string, res *result.Result) error {
	body, err := marshal(res)
	if err != nil {
		// Only a NaN or Inf could get here; record that rather than nothing.
		res.Fail(result.Errorf(result.CodeInternal, "s3://%s/%s: result not representable as JSON: %v",
			res.Source.Bucket, res.Source.Key, err))
		if body, err = marshal(res); err != nil {
			return fmt.Errorf("marshal result for s3://%s/%s: %w", bucket, key, err)
		}
	}
	meta := map[string]string{
		MetaSourceETag: res.Source.ETag,
		MetaFaces:      strconv.Itoa(len(res.Faces)),
	}
	if res.Error != nil {
		meta[MetaErrorCode] = string(res.Error.Code)
	}
	_, err = client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(ContentType),
		Metadata:      meta,
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// marshal encodes without HTML escaping, so that keys with '&' or '<'
// read the same in the result as in S3.
func marshal(res *result.Result) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
