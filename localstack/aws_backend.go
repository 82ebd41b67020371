package localstack

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// startAWS uses a real account through the SDK's default credential chain.
// Nothing is created here: provisioning is package provision's job, and
// Close has nothing to tear down.
func (s *Stack) startAWS(ctx context.Context, c *config) error {
	var loadOpts []func(*awsconfig.LoadOptions) error
	if c.region != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(c.region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return ErrNoRegion
	}
	if cfg.Credentials == nil {
		return ErrNoCredentials
	}
	cctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(cctx)
	if err != nil {
		return fmt.Errorf("%w (%v)", ErrNoCredentials, oneLine(err.Error()))
	}
	if !creds.HasKeys() {
		return ErrNoCredentials
	}
	s.region = cfg.Region
	s.creds = cfg.Credentials
	s.cfg = cfg
	s.log.Info("localstack: using real AWS", "region", cfg.Region, "credentials_source", creds.Source)
	return nil
}
