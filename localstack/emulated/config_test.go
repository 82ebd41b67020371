package emulated

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestConfig(t *testing.T) {
	cfg := Config("http://127.0.0.1:4566", "eu-central-1")
	if aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:4566" || cfg.Region != "eu-central-1" {
		t.Errorf("endpoint %q region %q", aws.ToString(cfg.BaseEndpoint), cfg.Region)
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != AccessKeyID || c.SecretAccessKey != SecretAccessKey {
		t.Errorf("credentials %+v, %v", c, err)
	}
}

// TestS3IsPathStyle: bucket.127.0.0.1 does not resolve, so an emulator's S3
// must be addressed by path.
func TestS3IsPathStyle(t *testing.T) {
	if !S3(Config("http://127.0.0.1:4566", "us-east-1")).Options().UsePathStyle {
		t.Error("S3 client is not path-style")
	}
}
