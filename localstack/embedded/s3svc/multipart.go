package s3svc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/rclone/gofakes3"
)

// The backend streams multipart uploads to disk too (gofakes3's
// MultipartBackend): each part is a body in the blobStore, and completing
// the upload writes the parts, in order, through PutObject as one object
// (so it is stored, observed and notified like any other write) before the
// parts go. gofakes3 keeps the bookkeeping ListParts and ListMultipartUploads
// answer from. The checks on completion are those gofakes3 made when it
// assembled uploads in memory (each part known, with its ETag, in
// ascending order), plus S3's refusal of an empty part list.

var _ gofakes3.MultipartBackend = (*backend)(nil)

// upload is a multipart upload in progress.
type upload struct {
	bucket, key string
	meta        map[string]string
	parts       map[int]uploadPart
}

type uploadPart struct {
	token string
	body  blob
}

// uploads are the multipart uploads in progress, by UploadID.
type uploads struct {
	mu sync.Mutex
	m  map[gofakes3.UploadID]*upload
}

func (b *backend) CreateMultipartUpload(ctx context.Context, bucket, key string, meta map[string]string) (gofakes3.UploadID, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	id := gofakes3.UploadID(hex.EncodeToString(raw[:]))
	b.uploads.mu.Lock()
	defer b.uploads.mu.Unlock()
	if b.uploads.m == nil {
		b.uploads.m = map[gofakes3.UploadID]*upload{}
	}
	b.uploads.m[id] = &upload{bucket: bucket, key: key, meta: meta, parts: map[int]uploadPart{}}
	return id, nil
}

// lookup returns the upload id of bucket/key.
func (b *backend) lookup(bucket, key string, id gofakes3.UploadID) (*upload, error) {
	b.uploads.mu.Lock()
	defer b.uploads.mu.Unlock()
	u := b.uploads.m[id]
	if u == nil || u.bucket != bucket || u.key != key {
		return nil, gofakes3.ErrNoSuchUpload
	}
	return u, nil
}

func (b *backend) UploadPart(ctx context.Context, bucket, key string, id gofakes3.UploadID, number int, size int64, body io.Reader) (string, error) {
	if _, err := b.lookup(bucket, key, id); err != nil {
		return "", err
	}
	token, part, err := b.blobs.write(body, size)
	if errors.Is(err, errShortBody) {
		return "", gofakes3.ErrIncompleteBody
	}
	if err != nil {
		return "", err
	}
	b.uploads.mu.Lock()
	u := b.uploads.m[id]
	var replaced string
	if u != nil {
		replaced = u.parts[number].token
		u.parts[number] = uploadPart{token: token, body: part}
	}
	b.uploads.mu.Unlock()
	if u == nil { // aborted or completed meanwhile
		_ = b.blobs.drop(token)
		return "", gofakes3.ErrNoSuchUpload
	}
	if replaced != "" {
		_ = b.blobs.drop(replaced)
	}
	return `"` + hex.EncodeToString(part.md5) + `"`, nil
}

func (b *backend) CompleteMultipartUpload(ctx context.Context, bucket, key string, id gofakes3.UploadID, in *gofakes3.CompleteMultipartUploadRequest) (gofakes3.VersionID, string, error) {
	u, err := b.lookup(bucket, key, id)
	if err != nil {
		return "", "", err
	}
	if len(in.Parts) == 0 {
		return "", "", gofakes3.ErrorMessage(gofakes3.ErrMalformedXML, "You must specify at least one part")
	}
	b.uploads.mu.Lock()
	var bodies []blob
	var size int64
	for i, p := range in.Parts {
		if i > 0 && p.PartNumber <= in.Parts[i-1].PartNumber {
			b.uploads.mu.Unlock()
			return "", "", gofakes3.ErrInvalidPartOrder
		}
		part, ok := u.parts[p.PartNumber]
		if !ok || strings.Trim(p.ETag, `"`) != hex.EncodeToString(part.body.md5) {
			b.uploads.mu.Unlock()
			return "", "", gofakes3.ErrorMessagef(gofakes3.ErrInvalidPart, "unexpected part number %d or its etag in complete request", p.PartNumber)
		}
		bodies = append(bodies, part.body)
		size += part.body.size
	}
	b.uploads.mu.Unlock()

	parts := &partFiles{}
	for _, body := range bodies {
		parts.paths = append(parts.paths, body.path)
	}
	defer parts.close()
	res, err := b.PutObject(ctx, bucket, key, u.meta, parts, size)
	if err != nil {
		return "", "", err // the upload stays, for a retry
	}
	b.forget(id)
	return res.VersionID, res.ETag, nil
}

func (b *backend) AbortMultipartUpload(ctx context.Context, bucket, key string, id gofakes3.UploadID) error {
	if _, err := b.lookup(bucket, key, id); err != nil {
		return err
	}
	b.forget(id)
	return nil
}

// forget drops an upload and its parts.
func (b *backend) forget(id gofakes3.UploadID) {
	b.uploads.mu.Lock()
	u := b.uploads.m[id]
	delete(b.uploads.m, id)
	b.uploads.mu.Unlock()
	if u == nil {
		return
	}
	for _, p := range u.parts {
		_ = b.blobs.drop(p.token)
	}
}

// partFiles reads the parts' files in order, one open at a time (an upload
// may have 10,000 parts).
type partFiles struct {
	paths []string
	cur   *os.File
}

func (p *partFiles) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if len(p.paths) == 0 {
				return 0, io.EOF
			}
			f, err := os.Open(p.paths[0])
			if err != nil {
				return 0, err
			}
			p.cur, p.paths = f, p.paths[1:]
		}
		n, err := p.cur.Read(b)
		if errors.Is(err, io.EOF) {
			p.close()
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (p *partFiles) close() {
	if p.cur != nil {
		p.cur.Close()
		p.cur = nil
	}
}
