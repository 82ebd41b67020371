// Package backfill encodes the objects already in a bucket where there is
// no S3 Batch Operations service (the embedded stack, LocalStack): it does
// what a Batch Operations LambdaInvoke job does, from the client.
//
// Run lists the bucket (image suffixes only, never the function's own
// results), then invokes the function through the Lambda API with S3
// Batch Operations schema 2.0 payloads, a batch of tasks per invocation
// and a bounded number of invocations at once. The function answers per
// task, as it answers Batch Operations: Succeeded, TemporaryFailure
// (retried here, up to a bound, like Batch retries it) or
// PermanentFailure. Results land where the function's OUTPUT_BUCKET says.
//
// Resuming: every Succeeded task is appended to a checkpoint (JSON Lines)
// with the object's ETag and a fingerprint of the function (ARN, code,
// configuration, last change). A later run skips the keys the checkpoint
// holds with the same ETag and fingerprint, without invoking anything. A
// redeployed or reconfigured function does not trust an older checkpoint;
// the function's own idempotency (a result that holds the object's ETag is
// not redone) then keeps a rerun from encoding or writing anything twice.
//
// An interrupted run (its context cancelled) sends no new invocation but
// waits for those under way, so that their results reach the checkpoint.
package backfill
