// Package emulated is the SDK side of every emulated AWS endpoint the
// harness and the CLI talk to (the embedded stand-in, facevec/stack, a
// LocalStack container): one configuration with the static test
// credentials the emulators accept, and clients that address S3 by path.
package emulated

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
)

// The credentials the emulators accept. LocalStack takes any; the embedded
// stand-in checks that requests are signed, not by whom, so nothing real
// is ever needed or sent.
const (
	AccessKeyID     = "test"
	SecretAccessKey = "test"
)

// Config is the SDK configuration for an emulated endpoint. It is built by
// hand rather than with config.LoadDefaultConfig so that nothing from the
// developer's ~/.aws or environment (a real profile, a real endpoint
// override) can leak into a run.
func Config(endpoint, region string) aws.Config {
	creds := credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")
	return aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(creds),
		BaseEndpoint: aws.String(endpoint),
		// The SDK's default since 2025 is to add CRC checksums (and
		// aws-chunked trailers) to every upload; emulators lag behind on
		// that, and "when required" is what AWS needs anyway.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
}

// S3 is an S3 client for cfg. Emulators serve buckets under the path, not
// as virtual hosts: bucket.127.0.0.1 does not resolve.
func S3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// Lambda is a Lambda client for cfg.
func Lambda(cfg aws.Config) *lambda.Client { return lambda.NewFromConfig(cfg) }

// S3Vectors is an S3 Vectors client for cfg.
func S3Vectors(cfg aws.Config) *s3vectors.Client { return s3vectors.NewFromConfig(cfg) }
