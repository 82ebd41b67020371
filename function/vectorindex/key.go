package vectorindex

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Key is the vector key of face n of s3://bucket/key.
func Key(bucket, key string, n int) string { return photoID(bucket, key) + "-" + strconv.Itoa(n) }

// photoID names a photo in 32 hex digits. The NUL keeps ("a", "b/c") and
// ("a/b", "c") apart: a bucket name cannot contain one.
func photoID(bucket, key string) string {
	sum := sha256.Sum256([]byte(bucket + "\x00" + key))
	return hex.EncodeToString(sum[:16])
}
