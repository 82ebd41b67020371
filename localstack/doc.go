// Package localstack is the harness front door: Start brings up an AWS-like
// stack (S3 + Lambda) for the e2e suite, the CLI and benchmarks, on one of
// three backends:
//
//   - "localstack": LocalStack in Docker via testcontainers-go;
//   - "embedded":   the pure-Go stand-in from package embedded, for machines
//     without a Docker engine;
//   - "aws":        a real AWS account, through the default credential chain.
//
// Every backend hands out plain aws-sdk-go-v2 clients, so the provisioner
// (package provision) and the tests never branch on the backend.
package localstack
