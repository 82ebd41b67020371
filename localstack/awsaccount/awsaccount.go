// Package awsaccount is the harness's real-AWS backend: the SDK's default
// credential chain and region, checked before anything is created. It has
// no endpoint and nothing to close; provisioning is package provision's job.
package awsaccount

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// ErrNoRegion and ErrNoCredentials are returned (wrapped) by the aws backend
// when the environment does not say where or as whom to run.
var (
	ErrNoRegion      = errors.New("no AWS region: set AWS_REGION (or a region in the AWS profile) or use WithRegion")
	ErrNoCredentials = errors.New("no AWS credentials: set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where an instance/SSO role is available")
)

// credentialsTimeout bounds the credential chain; off EC2 its last link
// (IMDS) otherwise spends a while finding out that there is no instance.
const credentialsTimeout = 20 * time.Second

// Connect loads the default configuration (region overrides the
// environment's when set) and proves the credentials resolve, within
// credentialsTimeout. The error wraps ErrNoRegion or ErrNoCredentials when
// the environment does not say where or as whom to run.
func Connect(ctx context.Context, region string) (aws.Config, string, error) {
	var loadOpts []func(*awsconfig.LoadOptions) error
	if region != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return aws.Config{}, "", fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, "", ErrNoRegion
	}
	if cfg.Credentials == nil {
		return aws.Config{}, "", ErrNoCredentials
	}
	cctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(cctx)
	if err != nil {
		return aws.Config{}, "", fmt.Errorf("%w (%v)", ErrNoCredentials, strings.Join(strings.Fields(err.Error()), " "))
	}
	if !creds.HasKeys() {
		return aws.Config{}, "", ErrNoCredentials
	}
	return cfg, creds.Source, nil
}
