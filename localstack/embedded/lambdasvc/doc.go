// Package lambdasvc is the Lambda part of the embedded AWS stand-in: the
// Lambda REST API (the subset facevec, the AWS SDK and the AWS CLI use) and
// an execution engine that runs a function's real `bootstrap` as child
// processes against our own implementation of the Lambda Runtime API.
//
// AWS's runtime interface emulator serves one invocation at a time and is
// an internal tool, so each execution environment here is one process with
// its own Runtime API server on 127.0.0.1. Up to Options.MaxConcurrency
// environments run per function; they are started on demand, reused while
// warm, and killed (whole process group) on timeout, crash, code or
// configuration change, deletion and Close.
//
// A Runtime API serves only its own environment's processes: any local
// process can reach a loopback port, and whoever takes GET /next gets the
// event and may post the answer. The runtime cannot present a secret
// (AWS_LAMBDA_RUNTIME_API is host:port, and aws-lambda-go sends no extra
// header), so on Linux the server asks the kernel who is connected: the
// client socket's inode from /proc/net/tcp must be an open fd of the
// environment's process or a descendant (/proc/<pid>/fd), or, where each
// environment has a uid of its own (the chroot-only sandbox of a container,
// where the stack may not read other users' /proc/<pid>/fd), the socket's
// uid in /proc/net/tcp must be the environment's. Requests with an
// Origin header (browsers) or a Host other than AWS_LAMBDA_RUNTIME_API (DNS
// rebinding) get 403 AccessDenied, and one GET /next may wait at a time.
// Where /proc/net/tcp cannot be read (not Linux), the service warns once
// that any local process may take invocations.
//
// Invocation semantics follow AWS: RequestResponse answers 200 with the
// function's payload, or with X-Amz-Function-Error: Unhandled and an error
// document ({"errorMessage", "errorType"}); Event queues the payload and
// retries failures up to MaximumRetryAttempts before dropping the event to
// an inspectable dead-letter list.
package lambdasvc
