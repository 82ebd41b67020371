// Package vectorindex keeps an Amazon S3 Vectors index in step with the
// face results: one vector per face, 128 float32 values, under a key that
// (bucket, object key, face number) decide, so that writing a photo's faces
// again overwrites them instead of adding copies.
//
// The contract (docs/CONTRACT.md "Vector index"):
//
//   - Key(bucket, key, n) is "<32 hex digits>-<n>": the first 16 bytes of
//     SHA-256(bucket NUL key), then the face number. Fixed length, so any
//     S3 key fits S3 Vectors' 1024-byte key limit.
//   - Every vector carries metadata bucket, key, etag, face (number) and
//     box ([left, top, right, bottom] in pixels).
//   - A photo's vectors are always faces 0..n-1 of its latest result:
//     Index.Sync writes them and deletes n, n+1, ... that a previous
//     version with more faces left; Index.Remove deletes them all.
//   - Both are idempotent, so a redelivered event or a retry after a failed
//     call writes the same state again and adds nothing.
//
// Query reads the service's distance as Euclidean, or as its square with
// WithSquaredDistance; Calibrate measures which (two probe vectors at a
// known distance), since the API reference does not say.
//
// The package talks to the service through API, the part of
// *s3vectors.Client it uses, so that the function, the CLI and tests can
// all use it against AWS, the embedded stand-in, or anything in between.
package vectorindex
