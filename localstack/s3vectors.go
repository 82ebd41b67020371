package localstack

import "github.com/aws/aws-sdk-go-v2/service/s3vectors"

// S3Vectors is an S3 Vectors client for the stack's endpoint.
func (s *Stack) S3Vectors() *s3vectors.Client { return s3vectors.NewFromConfig(s.cfg.Copy()) }

// ServesS3Vectors reports whether the backend serves the S3 Vectors API,
// and if not, why. LocalStack's community image has no s3vectors provider
// (its source lists AWS::S3Vectors::* only in the table of CloudFormation
// resources AWS offers per region, with no service behind them).
func (s *Stack) ServesS3Vectors() (bool, string) {
	if s.backend == BackendLocalStack {
		return false, "LocalStack (community) does not serve the S3 Vectors API: its source has no s3vectors provider"
	}
	return true, ""
}
