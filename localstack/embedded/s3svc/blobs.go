package s3svc

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/facevec/facevec/localstack/internal/owner"
)

// blobStore keeps object bodies as files in one directory, so that an
// upload costs disk, not memory: a 2 GiB PUT took the stack from 35 MB to
// 4.4 GiB RSS when s3mem held bodies as byte slices. s3mem still keeps
// everything else (keys, versions, metadata, tags, listing order); the
// body it stores for an object is the blob's token, which the backend
// swaps for the file on every read (backend.go). The directory is removed
// on Close, with every object in it, as the in-memory store lost them.
type blobStore struct {
	dir string

	mu     sync.Mutex
	blobs  map[string]blob   // by token
	byETag map[string]string // s3mem's ETag (the token's MD5, quoted) → token
}

// dataDirPattern names the directory of a service's object bodies.
const dataDirPattern = "facevec-s3-"

// bodyDir makes the directory of a service's object bodies: in parent
// when given, else a temporary directory owned by this process, after
// removing those of stacks killed before they could Close.
func bodyDir(parent string, log *slog.Logger) (string, error) {
	if parent == "" {
		owner.RemoveStaleDirs(dataDirPattern, log)
		return owner.MkdirTemp(dataDirPattern)
	}
	return os.MkdirTemp(parent, dataDirPattern)
}

// blob is one stored body.
type blob struct {
	path string
	size int64
	md5  []byte
}

// tokenLen is the length of a token: 32 hex digits.
const tokenLen = 32

func newBlobStore(dir string) *blobStore {
	return &blobStore{dir: dir, blobs: map[string]blob{}, byETag: map[string]string{}}
}

// errShortBody: the body ended before its Content-Length.
var errShortBody = errors.New("request body shorter than its length")

// write stores r (size bytes, or up to EOF when size < 0) and returns the
// new blob's token. Nothing is kept on error.
func (s *blobStore) write(r io.Reader, size int64) (string, blob, error) {
	var raw [tokenLen / 2]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", blob{}, err
	}
	token := hex.EncodeToString(raw[:])
	f, err := os.OpenFile(filepath.Join(s.dir, token), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", blob{}, fmt.Errorf("store object body: %w", err)
	}
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("%w: %d of %d bytes", errShortBody, n, size)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", blob{}, err
	}
	b := blob{path: f.Name(), size: n, md5: h.Sum(nil)}
	sum := md5.Sum([]byte(token))
	s.mu.Lock()
	s.blobs[token] = b
	s.byETag[`"`+hex.EncodeToString(sum[:])+`"`] = token
	s.mu.Unlock()
	return token, b, nil
}

// get returns the blob of token.
func (s *blobStore) get(token string) (blob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[token]
	return b, ok
}

// byStoredETag returns the blob whose token s3mem lists with etag.
func (s *blobStore) byStoredETag(etag string) (blob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[s.byETag[etag]]
	return b, ok
}

// drop deletes the blob of token: no object version refers to it any more.
// A reader that opened it keeps reading (the file goes with its last fd).
func (s *blobStore) drop(token string) error {
	s.mu.Lock()
	b, ok := s.blobs[token]
	delete(s.blobs, token)
	sum := md5.Sum([]byte(token))
	delete(s.byETag, `"`+hex.EncodeToString(sum[:])+`"`)
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return os.Remove(b.path)
}

// bytes is the disk the bodies take.
func (s *blobStore) bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, b := range s.blobs {
		n += b.size
	}
	return n
}

// removeAll deletes the directory and every body.
func (s *blobStore) removeAll() error {
	s.mu.Lock()
	s.blobs, s.byETag = map[string]blob{}, map[string]string{}
	s.mu.Unlock()
	return os.RemoveAll(s.dir)
}
