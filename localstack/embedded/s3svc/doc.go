// Package s3svc is the S3 half of the embedded AWS stand-in: an http.Handler
// that serves the S3 REST API from gofakes3's in-memory backend and adds what
// gofakes3 lacks, bucket notifications to Lambda.
//
// Object bodies are files, not memory (blobs.go, bodies.go): an upload is
// streamed to a file in a directory of the service's own (WithDataDir;
// default a temporary directory), and a body is deleted once no object
// version refers to it. Multipart uploads stream their parts there too
// (multipart.go). The directory goes on Close. As on S3, one PUT (object
// or part) takes at most 5 GiB: a longer declared length gets
// EntityTooLarge before the body is read.
//
// Notifications follow AWS:
//
//   - PutBucketNotificationConfiguration / GetBucketNotificationConfiguration
//     (`?notification` on a bucket) take and return the AWS XML, with
//     CloudFunctionConfiguration (LambdaFunctionConfiguration is accepted as
//     an alias on input). Only Lambda destinations and s3:ObjectCreated:*
//     and s3:ObjectRemoved:Delete (or :*) events are delivered; anything
//     else is refused with a clear error rather than stored and silently
//     never delivered.
//   - Filter rules match the key as it appears in the event, that is
//     URL-encoded (a space is "+"), case-sensitively; prefix and suffix must
//     both match when both are given. Rule names come back as "Prefix" and
//     "Suffix", as S3 returns them.
//   - A successful PutObject, CopyObject, CompleteMultipartUpload or browser
//     POST emits one event per matching configuration, asynchronously, in the
//     S3 event JSON (eventVersion 2.1) through an Invoker. The eTag in the
//     event is the stored object's ETag, the one GetObject returns, so a
//     function can make a conditional GET with it.
//   - A DeleteObject or DeleteObjects that removes an existing object emits
//     s3:ObjectRemoved:Delete for it (size 0 and no eTag, as S3 sends);
//     deleting a key that does not exist emits nothing.
//   - DeleteBucket drops the bucket's configuration.
//
// CreateBucket applies S3's general purpose bucket naming rules, including
// the reserved prefixes (xn--, sthree-, amzn-s3-demo-) and suffixes
// (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3): InvalidBucketName. One
// difference remains: gofakes3 also refuses labels of one or two characters
// ("a.b.c"), which S3 accepts.
//
// Faults (WithFaults) lets reliability tests make object reads and writes
// fail with 503 SlowDown or answer late.
package s3svc
