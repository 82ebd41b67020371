// Package provision deploys the facevec function and wires it to S3, the
// same way on every backend: LocalStack, the embedded stand-in and a real
// AWS account all get the same calls through plain aws-sdk-go-v2 S3 and
// Lambda clients. The only concession to real AWS is what an account needs
// and an emulator ignores: an IAM role ARN, and short retries while IAM
// propagates.
//
// Apply is idempotent: it reads what exists, changes only what differs, and
// reports in Outputs.Changed whether it had to touch anything. The function
// is only ever updated in place ($LATEST); Apply never publishes versions.
//
// Recursion: when the input and the output bucket are the same, results are
// written into the bucket that triggers the function. S3 filters cannot say
// "not under this prefix", so two things keep results from re-triggering
// it: the notifications only fire for image suffixes (results end in
// ".json"), and the function itself skips keys under OUTPUT_PREFIX.
package provision
