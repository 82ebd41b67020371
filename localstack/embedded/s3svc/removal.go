package s3svc

import (
	"context"
	"time"

	"github.com/rclone/gofakes3"
)

// DeleteObject deletes the object and, when it existed, records the
// removal for the ObjectRemoved event.
func (b *backend) DeleteObject(ctx context.Context, bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	existed := b.exists(ctx, bucket, key)
	res, err := b.Backend.DeleteObject(ctx, bucket, key)
	if err == nil && existed {
		b.recordRemoval(ctx, bucket, key)
	}
	return res, err
}

// DeleteMulti deletes the objects and records the removal of each one
// that existed and is reported deleted.
func (b *backend) DeleteMulti(ctx context.Context, bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	existed := map[string]bool{}
	for _, k := range keys {
		existed[k] = b.exists(ctx, bucket, k)
	}
	res, err := b.Backend.DeleteMulti(ctx, bucket, keys...)
	if err != nil {
		return res, err
	}
	for _, d := range res.Deleted {
		if existed[d.Key] {
			b.recordRemoval(ctx, bucket, d.Key)
		}
	}
	return res, nil
}

func (b *backend) exists(ctx context.Context, bucket, key string) bool {
	obj, err := b.Backend.HeadObject(ctx, bucket, key)
	if err != nil {
		return false
	}
	if obj.Contents != nil {
		_ = obj.Contents.Close()
	}
	return true
}

func (b *backend) recordRemoval(ctx context.Context, bucket, key string) {
	if c, ok := ctx.Value(captureKey{}).(*capture); ok {
		c.add(written{bucket: bucket, key: key, at: time.Now()})
	}
}
