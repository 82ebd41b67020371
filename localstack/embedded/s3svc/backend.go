package s3svc

import (
	"context"
	"encoding/hex"
	"io"
	"sync"
	"time"

	"github.com/rclone/gofakes3"
	"github.com/rclone/gofakes3/s3mem"
)

// written is one object a request stored, as the event must describe it.
type written struct {
	bucket, key string
	size        int64
	etag        string // without quotes, as in events
	versionID   string
	at          time.Time
}

// capture collects the writes of one request. The HTTP layer puts it in the
// request context; the backend fills it. Reading what was really stored,
// rather than re-reading the object afterwards, keeps the event right when
// two requests write the same key at once.
type capture struct {
	mu     sync.Mutex
	writes []written
}

type captureKey struct{}

func withCapture(ctx context.Context, c *capture) context.Context {
	return context.WithValue(ctx, captureKey{}, c)
}

func (c *capture) add(w written) {
	c.mu.Lock()
	c.writes = append(c.writes, w)
	c.mu.Unlock()
}

func (c *capture) list() []written {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]written(nil), c.writes...)
}

// backend is s3mem with its object writes observed. Embedding the concrete
// *s3mem.Backend keeps its optional interfaces (VersionedBackend,
// ObjectTaggingBackend) visible to gofakes3's type assertions.
type backend struct {
	*s3mem.Backend
	// blobs holds the object bodies (bodies.go); bodyMu makes finding the
	// body an object replaces or deletes and dropping it one step.
	blobs           *blobStore
	bodyMu          sync.Mutex
	uploads         uploads // multipart uploads in progress (multipart.go)
	onBucketDeleted func(bucket string)
	// condMu makes a conditional write's check and write one step, as S3
	// does: two If-Match writers of one ETag cannot both win. gofakes3
	// checks If-Match/If-None-Match before calling PutObject, which leaves
	// the object free to change in between.
	condMu sync.Mutex
}

var (
	_ gofakes3.Backend              = (*backend)(nil)
	_ gofakes3.VersionedBackend     = (*backend)(nil)
	_ gofakes3.ObjectTaggingBackend = (*backend)(nil)
)

// PutObject stores the object (its body on disk, bodies.go) and records
// its size and MD5 from the bytes that really went in.
func (b *backend) PutObject(ctx context.Context, bucket, key string, meta map[string]string, input io.Reader, size int64) (gofakes3.PutObjectResult, error) {
	if gofakes3.HasWriteConditions(ctx) {
		b.condMu.Lock()
		defer b.condMu.Unlock()
		exists, etag := false, ""
		obj, err := b.HeadObject(ctx, bucket, key)
		switch {
		case err == nil:
			exists, etag = true, hex.EncodeToString(obj.Hash)
			if obj.Contents != nil {
				_ = obj.Contents.Close()
			}
		case !gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey):
			return gofakes3.PutObjectResult{}, err
		}
		if err := gofakes3.CheckWriteConditions(ctx, exists, etag); err != nil {
			return gofakes3.PutObjectResult{}, err
		}
	}
	res, body, err := b.storeBody(ctx, bucket, key, meta, input, size)
	if err != nil {
		return res, err
	}
	if c, ok := ctx.Value(captureKey{}).(*capture); ok {
		c.add(written{bucket: bucket, key: key, size: body.size, etag: hex.EncodeToString(body.md5), versionID: string(res.VersionID), at: time.Now()})
	}
	return res, nil
}

// CopyObject reads the source's body and writes it through PutObject above,
// so the copy is stored and observed like any other write.
func (b *backend) CopyObject(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (res gofakes3.CopyObjectResult, err error) {
	src, err := b.GetObject(ctx, srcBucket, srcKey, nil)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := src.Contents.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if _, err := b.PutObject(ctx, dstBucket, dstKey, meta, src.Contents, src.Size); err != nil {
		return res, err
	}
	return gofakes3.CopyObjectResult{
		ETag:         `"` + hex.EncodeToString(src.Hash) + `"`,
		LastModified: gofakes3.NewContentTime(time.Now()),
	}, nil
}

// CreateBucket adds S3's reserved prefixes and suffixes to the naming
// rules gofakes3 checked before calling it.
func (b *backend) CreateBucket(ctx context.Context, name string) error {
	if err := checkReservedBucketName(name); err != nil {
		return err
	}
	return b.Backend.CreateBucket(ctx, name)
}

// DeleteBucket also forgets the bucket's notification configuration, so a
// bucket created again under the same name starts without one, as on S3.
func (b *backend) DeleteBucket(ctx context.Context, name string) error {
	if err := b.Backend.DeleteBucket(ctx, name); err != nil {
		return err
	}
	if b.onBucketDeleted != nil {
		b.onBucketDeleted(name)
	}
	return nil
}
