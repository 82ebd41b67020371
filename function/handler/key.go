package handler

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// keyEncoding is how an event writes object keys. It travels with each
// record, so that a key is read the same way whichever envelope (a direct
// invocation, an SQS message) its event arrived in.
type keyEncoding int

const (
	// keyFormEncoded: '+' for a space, %XX for other bytes. S3's own
	// notifications write keys so, and Batch Operations tasks carry them
	// as the manifest does (URL-encoded).
	keyFormEncoded keyEncoding = iota
	// keyEitherReading: form-encoded or as is. EventBridge's
	// documentation does not say which, and a real "Object Created" event
	// published with its ids (a public gist) shows ':' as is where a
	// notification writes %3A.
	keyEitherReading
)

// eventRecord is one record as the handler processes it.
type eventRecord struct {
	events.S3EventRecord
	keys keyEncoding
}

// formEncodedRecords wraps records whose keys S3 form-encoded.
func formEncodedRecords(recs []events.S3EventRecord) []eventRecord {
	out := make([]eventRecord, len(recs))
	for i, r := range recs {
		out[i] = eventRecord{S3EventRecord: r, keys: keyFormEncoded}
	}
	return out
}

// keyReadings are the keys a record's key may stand for, the
// form-decoded reading first. A form-encoded key has exactly one; an
// EventBridge key has two only when it holds a '+' or a valid %XX, and a
// '%' that is no valid escape ("100%.jpg") leaves only the key as sent,
// which is never an error.
func keyReadings(rec eventRecord) ([]string, error) {
	raw := rec.S3.Object.Key
	decoded, err := url.QueryUnescape(raw)
	if rec.keys == keyFormEncoded {
		if err != nil {
			return nil, fmt.Errorf("event key %q is not URL-encoded the way S3 writes keys: %v", raw, err)
		}
		return []string{decoded}, nil
	}
	if err != nil || decoded == raw {
		return []string{raw}, nil
	}
	return []string{decoded, raw}, nil
}

// existingReading is the first of readings whose object exists, else the
// first: neither reading can make an upload look deleted. One reading
// costs nothing; with two, a HeadObject each until one answers. An answer
// a retry may change is an error, so that the record is retried rather
// than read the wrong way.
func (h *Handler) existingReading(ctx context.Context, bucket string, readings []string) (string, error) {
	if len(readings) > 1 {
		for _, key := range readings {
			ok, err := h.exists(ctx, bucket, key)
			if err != nil {
				return "", err
			}
			if ok {
				return key, nil
			}
		}
	}
	return readings[0], nil
}

// exists reports whether an object is there. Without s3:ListBucket a
// missing object answers 403, not 404: any answer but a retryable one
// means "not there".
func (h *Handler) exists(ctx context.Context, bucket, key string) (bool, error) {
	_, err := h.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		return true, nil
	}
	if _, retry := classify(err); retry {
		return false, fmt.Errorf("head s3://%s/%s: %w", bucket, key, err)
	}
	return false, nil
}
