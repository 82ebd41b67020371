package localstack

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Static credentials for the emulators. LocalStack maps the access key
// "test" to its default account 000000000000; the embedded backend accepts
// anything signed with them.
const (
	TestAccessKeyID     = "test"
	TestSecretAccessKey = "test"
)

// emulatedConfig is the SDK configuration for an emulated endpoint. It is
// built by hand rather than with config.LoadDefaultConfig so that nothing
// from the developer's ~/.aws or environment (a real profile, a real
// endpoint override) can leak into a test run.
func emulatedConfig(endpoint, region string) aws.Config {
	creds := credentials.NewStaticCredentialsProvider(TestAccessKeyID, TestSecretAccessKey, "")
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
