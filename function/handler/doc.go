// Package handler is facevec's Lambda function: for every object an S3
// ObjectCreated event names, it reads the image (bounded by
// MAX_OBJECT_BYTES), finds every face with the encoder, and writes one
// facevec.result/v1 JSON document to OUTPUT_BUCKET under OUTPUT_PREFIX.
//
// The package holds all the logic so that it can be tested against a real
// S3 API on loopback; function/main.go only wires config, encoder, S3 client
// and Handler together and calls lambda.Start.
//
// Behaviour worth knowing (docs/CONTRACT.md "Lambda function" is the spec):
//
//   - Idempotent. Results carry the source ETag in their body and as
//     x-amz-meta-source-etag; a record whose current result already holds
//     the same ETag is skipped with a HeadObject and no second write.
//     Results that recorded a transient error (timeout, internal) are not
//     final and get replaced on redelivery.
//   - Keys. Each record carries how its key is written (key.go): S3
//     notifications and Batch Operations tasks form-encode keys;
//     EventBridge does not say, so its keys are read as sent or
//     form-decoded, whichever object exists, in whatever envelope (a
//     direct invocation, an SQS message) the event arrives.
//   - No recursion. Keys under OUTPUT_PREFIX in the output bucket are
//     skipped, so writing results into the input bucket is safe.
//   - Per-record failures. A bad image, a missing object or a denied read
//     becomes an error result; the other records carry on. Only failures a
//     retry can fix (throttling, 5xx, network, a failed write) make Handle
//     return an error so that Lambda retries the event; idempotency makes
//     the retry cheap for the records that did succeed.
//   - Vector index. With VECTOR_BUCKET and VECTOR_INDEX, each result's
//     faces are then written to that S3 Vectors index (package
//     vectorindex), replacing the photo's earlier faces; a failed index
//     write is retryable and the retry only indexes. An invocation of
//     several creations (an SQS batch) puts all their faces at the end in
//     one PutVectors per 500 faces (indexbatch.go). ObjectRemoved events
//     delete a photo's faces (removed.go).
//   - Metrics. With METRICS_NAMESPACE, each invocation writes CloudWatch
//     embedded-metric-format lines to stdout (metrics.go): photos, faces,
//     skipped, retryable, encode ms, errors by code.
//   - Deadline. A safety margin (max(1 s, 5 % of the remaining time)) is
//     kept back from the Lambda deadline for writing results, so that a
//     record that runs out of time gets a "timeout" result instead of the
//     process being killed mid-write.
package handler
