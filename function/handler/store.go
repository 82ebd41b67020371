package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	// MetaSettings fingerprints the settings a result was made with
	// (settingsID): a result made with others does not count as done.
	MetaSettings = "settings"
)

// ContentType of result objects.
const ContentType = "application/json"

// maxResultBytes bounds the download of a result that lacks our metadata
// (written by an older version, or copied): about 10,000 faces.
const maxResultBytes = 16 << 20

// previous is what an existing result says about the source it encoded.
type previous struct {
	found    bool
	objETag  string      // the result object's own ETag, for a conditional overwrite
	etag     string      // source ETag, quotes stripped
	code     result.Code // "" when the result has no error
	faces    int
	settings string // MetaSettings; "" for results without it
}

// covers reports whether the existing result is final for a source with
// this ETag under these settings, so that the record needs no work.
//
// Final are the results the same bytes and settings would give again: faces
// (or none), decode_failed and unsupported_format. Not final, so a
// redelivery or a re-upload tries again: timeout and internal (transient);
// not_found and access_denied (the object may be back, or readable, by
// now); and anything made with other settings (DETECTOR, UPSAMPLE, JITTER,
// MAX_SIDE, the limits; too_large depends only on them).
func (p previous) covers(etag, settings string) bool {
	if !p.found || etag == "" || p.etag != etag || p.settings != settings {
		return false
	}
	switch p.code {
	case "", result.CodeDecodeFailed, result.CodeUnsupportedFormat, result.CodeTooLarge:
		return true
	}
	return false
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
		p := previous{found: true, objETag: aws.ToString(head.ETag), etag: etag,
			code: result.Code(head.Metadata[MetaErrorCode]), settings: head.Metadata[MetaSettings]}
		p.faces, _ = strconv.Atoi(head.Metadata[MetaFaces])
		return p, nil
	}
	p, err := download(ctx, client, bucket, key)
	p.objETag = aws.ToString(head.ETag)
	return p, err
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
		return previous{found: true}, nil
	}
	// Without our metadata the settings are unknown: it is never final.
	p := previous{found: true, etag: trimETag(r.Source.ETag), faces: len(r.Faces)}
	if r.Error != nil {
		p.code = r.Error.Code
	}
	return p, nil
}

// errConflict is a conditional write that lost: the result object changed
// since it was read (412), or another write to it was in flight (409).
var errConflict = errors.New("the result was written by another invocation meanwhile")

// store writes res to bucket/key as JSON with the idempotency metadata,
// only if the result object is still the one lookup saw (prev): If-Match
// its ETag, or If-None-Match when there was none. A lost race is
// errConflict, and the caller looks again.
func store(ctx context.Context, client S3API, bucket, key string, res *result.Result, settings string, prev previous) error {
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
		MetaSettings:   settings,
	}
	if res.Error != nil {
		meta[MetaErrorCode] = string(res.Error.Code)
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(ContentType),
		Metadata:      meta,
	}
	switch {
	case prev.objETag != "":
		in.IfMatch = aws.String(prev.objETag)
	case !prev.found:
		in.IfNoneMatch = aws.String("*")
	}
	if _, err = client.PutObject(ctx, in); err != nil {
		if isConflict(err) {
			return fmt.Errorf("put s3://%s/%s: %w (%v)", bucket, key, errConflict, err)
		}
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
