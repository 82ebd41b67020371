// Package embedded is a pure-Go stand-in for the slice of AWS facevec uses
// (S3 with bucket notifications, Lambda, S3 Vectors, and CloudFormation
// making its stacks' resources through those services; see cfnsvc and
// cfnproviders; and STS GetCallerIdentity, answering as the account's
// root), for machines without Docker.
//
// Start serves the services on one loopback listener, as LocalStack does
// on its edge port. A request goes to the service named in its SigV4
// credential scope (Authorization header, or X-Amz-Credential for presigned
// URLs); signatures are not checked, so any credentials work. Unsigned
// requests go to Lambda when their path starts with a Lambda API version
// (/2015-03-31/, /2017-03-31/, /2019-09-25/, /2018-06-01/runtime/) and to S3
// otherwise. GET /_facevec/health reports the services as JSON.
//
// Clients use path-style S3 addressing (UsePathStyle in aws-sdk-go-v2).
package embedded
