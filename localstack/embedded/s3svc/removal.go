package s3svc

import (
	"context"
	"time"

	"github.com/rclone/gofakes3"
)

// DeleteObject deletes the object and, when it existed, records the
// removal for the ObjectRemoved event and, where no version of it stays,
// drops its body.
func (b *backend) DeleteObject(ctx context.Context, bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	b.bodyMu.Lock()
	defer b.bodyMu.Unlock()
	token := b.currentToken(ctx, bucket, key) // "": no such object
	res, err := b.Backend.DeleteObject(ctx, bucket, key)
	if err == nil && token != "" {
		b.removed(ctx, bucket, key, token)
	}
	return res, err
}

// DeleteMulti deletes the objects and, for each one that existed and is
// reported deleted, does what DeleteObject does.
func (b *backend) DeleteMulti(ctx context.Context, bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	b.bodyMu.Lock()
	defer b.bodyMu.Unlock()
	tokens := make(map[string]string, len(keys))
	for _, k := range keys {
		tokens[k] = b.currentToken(ctx, bucket, k)
	}
	res, err := b.Backend.DeleteMulti(ctx, bucket, keys...)
	if err != nil {
		return res, err
	}
	for _, d := range res.Deleted {
		if t := tokens[d.Key]; t != "" {
			b.removed(ctx, bucket, d.Key, t)
		}
	}
	return res, nil
}

// DeleteObjectVersion deletes one version of an object and its body.
func (b *backend) DeleteObjectVersion(bucket, key string, version gofakes3.VersionID) (gofakes3.ObjectDeleteResult, error) {
	b.bodyMu.Lock()
	defer b.bodyMu.Unlock()
	token := b.versionToken(bucket, key, version)
	res, err := b.Backend.DeleteObjectVersion(bucket, key, version)
	if err == nil && token != "" {
		_ = b.blobs.drop(token)
	}
	return res, err
}

// removed records the removal of bucket/key, whose current body was token,
// and drops the body unless a version of the object keeps it.
func (b *backend) removed(ctx context.Context, bucket, key, token string) {
	if c, ok := ctx.Value(captureKey{}).(*capture); ok {
		c.add(written{bucket: bucket, key: key, at: time.Now()})
	}
	if b.unversioned(bucket) {
		_ = b.blobs.drop(token)
	}
}
