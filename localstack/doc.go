// Package localstack is the harness's front door: Start brings up an
// AWS-like stack (S3 + Lambda) for the e2e suite and benchmarks, on one of
// three backends, each its own package that returns an endpoint and a
// closer:
//
//   - "localstack": LocalStack (or facevec/stack) in Docker, package
//     container, the only one that links testcontainers-go;
//   - "embedded":   the pure-Go stand-in, package embedded, for machines
//     without a Docker engine (the CLI uses it directly);
//   - "aws":        a real account, package awsaccount.
//
// Every backend hands out plain aws-sdk-go-v2 clients (package emulated for
// the first two), so the provisioner (package provision) and the tests never
// branch on the backend. Stack.Close tears down in reverse order of start.
package localstack
