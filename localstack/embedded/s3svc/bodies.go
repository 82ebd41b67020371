package s3svc

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/rclone/gofakes3"
)

// The backend's object bodies live in its blobStore; s3mem stores each
// object's token instead (blobs.go). These methods swap tokens for bodies
// on the way out, and drop a body once no object version refers to it.

// storeBody writes the body to disk, then has s3mem record the object with
// the body's token. In a bucket that never had versioning, the object it
// replaces is gone and so is its body. Other cases keep a replaced body
// until the object version goes (a body replaced in a bucket whose
// versioning is suspended stays until Close).
func (b *backend) storeBody(ctx context.Context, bucket, key string, meta map[string]string, input io.Reader, size int64) (gofakes3.PutObjectResult, blob, error) {
	if ok, err := b.Backend.BucketExists(ctx, bucket); err != nil || !ok {
		// Before the body is stored: no file for a bucket that is not there.
		return gofakes3.PutObjectResult{}, blob{}, gofakes3.BucketNotFound(bucket)
	}
	token, body, err := b.blobs.write(input, size)
	if errors.Is(err, errShortBody) {
		return gofakes3.PutObjectResult{}, blob{}, gofakes3.ErrIncompleteBody
	}
	if err != nil {
		return gofakes3.PutObjectResult{}, blob{}, err
	}
	b.bodyMu.Lock()
	defer b.bodyMu.Unlock()
	replaced := b.currentToken(ctx, bucket, key)
	res, err := b.Backend.PutObject(ctx, bucket, key, meta, strings.NewReader(token), tokenLen)
	if err != nil {
		_ = b.blobs.drop(token)
		return res, blob{}, err
	}
	if replaced != "" && b.unversioned(bucket) {
		_ = b.blobs.drop(replaced)
	}
	res.ETag = `"` + hex.EncodeToString(body.md5) + `"`
	return res, body, nil
}

// currentToken is the token of key's current version, "" if none.
func (b *backend) currentToken(ctx context.Context, bucket, key string) string {
	obj, err := b.Backend.GetObject(ctx, bucket, key, nil)
	if err != nil {
		return ""
	}
	return tokenOf(obj)
}

func (b *backend) versionToken(bucket, key string, version gofakes3.VersionID) string {
	obj, err := b.Backend.GetObjectVersion(bucket, key, version, nil)
	if err != nil {
		return ""
	}
	return tokenOf(obj)
}

// unversioned: the bucket never had versioning, so a replaced or deleted
// object leaves no version behind.
func (b *backend) unversioned(bucket string) bool {
	v, err := b.Backend.VersioningConfiguration(bucket)
	return err == nil && v.Status == gofakes3.VersioningNone
}

// tokenOf reads the token s3mem holds as obj's body ("" for a delete
// marker) and closes it.
func tokenOf(obj *gofakes3.Object) string {
	if obj == nil || obj.Contents == nil {
		return ""
	}
	defer obj.Contents.Close()
	t, _ := io.ReadAll(io.LimitReader(obj.Contents, tokenLen+1))
	if len(t) != tokenLen {
		return ""
	}
	return string(t)
}

// withBody turns what s3mem returned (with its whole token body) into the
// stored object: the body's size and MD5 and, when withBody, the body
// itself, ranged as asked.
func (b *backend) withBody(obj *gofakes3.Object, rng *gofakes3.ObjectRangeRequest, withBody bool) (*gofakes3.Object, error) {
	if obj.IsDeleteMarker {
		return obj, nil
	}
	token := tokenOf(obj)
	body, ok := b.blobs.get(token)
	if !ok {
		// Deleted between s3mem's answer and now.
		return nil, gofakes3.KeyNotFound(obj.Name)
	}
	out := *obj
	out.Size, out.Hash, out.Range = body.size, body.md5, nil
	out.Contents = io.NopCloser(bytes.NewReader(nil))
	if !withBody {
		return &out, nil
	}
	rnge, err := rng.Range(body.size)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(body.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, gofakes3.KeyNotFound(obj.Name)
	}
	if err != nil {
		return nil, err
	}
	out.Range = rnge
	out.Contents = f
	if rnge != nil {
		out.Contents = sectionFile{SectionReader: io.NewSectionReader(f, rnge.Start, rnge.Length), f: f}
	}
	return &out, nil
}

// sectionFile reads a range of f and closes f.
type sectionFile struct {
	*io.SectionReader
	f *os.File
}

func (s sectionFile) Close() error { return s.f.Close() }

func (b *backend) GetObject(ctx context.Context, bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	obj, err := b.Backend.GetObject(ctx, bucket, key, nil)
	if err != nil {
		return nil, err
	}
	return b.withBody(obj, rng, true)
}

func (b *backend) HeadObject(ctx context.Context, bucket, key string) (*gofakes3.Object, error) {
	obj, err := b.Backend.GetObject(ctx, bucket, key, nil)
	if err != nil {
		return nil, err
	}
	return b.withBody(obj, nil, false)
}

func (b *backend) GetObjectVersion(bucket, key string, version gofakes3.VersionID, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	obj, err := b.Backend.GetObjectVersion(bucket, key, version, nil)
	if err != nil {
		return nil, err
	}
	return b.withBody(obj, rng, true)
}

func (b *backend) HeadObjectVersion(bucket, key string, version gofakes3.VersionID) (*gofakes3.Object, error) {
	obj, err := b.Backend.GetObjectVersion(bucket, key, version, nil)
	if err != nil {
		return nil, err
	}
	return b.withBody(obj, nil, false)
}

// storedSize turns what s3mem lists for an object (its token's size and
// MD5) into the body's.
func (b *backend) storedSize(etag string) (string, int64, bool) {
	body, ok := b.blobs.byStoredETag(etag)
	if !ok {
		return "", 0, false
	}
	return `"` + hex.EncodeToString(body.md5) + `"`, body.size, true
}

func (b *backend) ListBucket(ctx context.Context, name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	res, err := b.Backend.ListBucket(ctx, name, prefix, page)
	if err != nil {
		return res, err
	}
	for _, c := range res.Contents {
		if etag, size, ok := b.storedSize(c.ETag); ok {
			c.ETag, c.Size = etag, size
		}
	}
	return res, nil
}

func (b *backend) ListBucketVersions(bucket string, prefix *gofakes3.Prefix, page *gofakes3.ListBucketVersionsPage) (*gofakes3.ListBucketVersionsResult, error) {
	res, err := b.Backend.ListBucketVersions(bucket, prefix, page)
	if err != nil {
		return res, err
	}
	for _, v := range res.Versions {
		if ver, ok := v.(*gofakes3.Version); ok {
			if etag, size, ok := b.storedSize(ver.ETag); ok {
				ver.ETag, ver.Size = etag, size
			}
		}
	}
	return res, nil
}
