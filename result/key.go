package result

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// MaxKeyBytes is S3's limit on an object key's length.
const MaxKeyBytes = 1024

// LongKeyDir is the folder, under a source bucket's results, of the
// results whose readable key would pass MaxKeyBytes.
const LongKeyDir = "_long/"

// Key is where the result of s3://bucket/key is stored, under prefix:
//
//	<prefix><bucket>/<key>.json
//
// The source bucket is part of the key, so that two input buckets (or an
// event naming another bucket) writing to one output bucket never overwrite
// each other's results; within one bucket the layout mirrors the input. A
// key whose result key would pass S3's 1024 bytes is stored under its
// SHA-256 instead, <prefix><bucket>/_long/<sha256 of key>.json; the result
// itself names the full source key. ok is false only when even that does
// not fit (a prefix of more than ~890 bytes).
//
// No other key can take a hashed key's place: a key whose first segment
// is "_long", or "long" after underscores ("_long/…", "__long/…"), gets
// one more leading underscore ("__long/…", "___long/…"), so no readable
// result key starts with "<bucket>/_long/" and keys that differ keep
// apart.
func Key(prefix, bucket, key string) (k string, ok bool) {
	k = prefix + bucket + "/" + escapeLongDir(key) + ".json"
	if len(k) <= MaxKeyBytes {
		return k, true
	}
	sum := sha256.Sum256([]byte(key))
	k = prefix + bucket + "/" + LongKeyDir + hex.EncodeToString(sum[:]) + ".json"
	return k, len(k) <= MaxKeyBytes
}

// escapeLongDir adds an underscore to a key of the form
// "_…_long/…" (one or more underscores), which is one-to-one and never
// gives "_long/…".
func escapeLongDir(key string) string {
	rest := strings.TrimLeft(key, "_")
	if len(rest) < len(key) && strings.HasPrefix(rest, strings.TrimPrefix(LongKeyDir, "_")) {
		return "_" + key
	}
	return key
}
