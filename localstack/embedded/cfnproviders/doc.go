// Package cfnproviders makes the resources of CloudFormation stacks in the
// embedded AWS stand-in: one cfnsvc.Provider per resource type.
//
// Types: AWS::S3::Bucket (BucketName, NotificationConfiguration with
// Lambda, Queue and Topic configurations and key filters, Tags),
// AWS::Lambda::Function (Code.S3Bucket/S3Key/S3ObjectVersion, Handler,
// Runtime, Role, MemorySize, Timeout, Architectures, Environment,
// EphemeralStorage, ReservedConcurrentExecutions, Tags),
// AWS::Lambda::Permission, AWS::Lambda::EventInvokeConfig,
// AWS::S3Vectors::VectorBucket and AWS::S3Vectors::Index, all through
// the stand-in's own APIs with the AWS SDK against its endpoint; and
// AWS::Logs::LogGroup and AWS::IAM::Role, kept in memory (the stand-in
// has no CloudWatch Logs or IAM service): Set.Roles keeps each role's
// inline policies, managed policy ARNs and permissions boundary for a
// check of the calls made with it. AWS::CloudFormation::Stack is served
// by cfnsvc itself.
//
// Why the SDK and not the services' Go APIs: it is what CloudFormation
// does (it calls each service's public API), it validates properties the
// way the service validates the API call (a bad MemorySize fails as
// Lambda fails it), and it keeps this package independent of the
// services' internals. The cost is a loopback HTTP call per operation.
//
// Properties are checked as CloudFormation's schemas check them: a key a
// type does not declare fails the resource ("extraneous key [K] is not
// permitted"), a required one missing fails it too. Numbers are taken as
// numbers or numeric strings (what Ref of a Number parameter gives).
// Accepted and not applied, because the stand-in has nothing they could
// change: S3 BucketEncryption, PublicAccessBlockConfiguration and
// OwnershipControls; log group KmsKeyId, LogGroupClass and Tags; role
// Description, MaxSessionDuration and Tags. A notification to SQS or SNS
// is refused by the stand-in's S3 (no such services), failing the bucket
// with its message. Code.ZipFile and Code.ImageUri are refused.
//
// Updates: a change of a resource's name (or, for permissions and S3
// Vectors resources, of anything) is a replacement; the rest is applied in
// place (function configuration, code, reserved concurrency; bucket
// notifications and tags; role policies; log group retention).
//
// Deletes: a bucket that still holds objects is not emptied, so the stack
// reports DELETE_FAILED naming it, as on AWS.
package cfnproviders
