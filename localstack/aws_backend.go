package localstack

import (
	"context"

	"github.com/facevec/facevec/localstack/awsaccount"
)

// ErrNoRegion and ErrNoCredentials are returned (wrapped) by the aws backend
// when the environment does not say where or as whom to run.
var (
	ErrNoRegion      = awsaccount.ErrNoRegion
	ErrNoCredentials = awsaccount.ErrNoCredentials
)

// startAWS uses a real account through package awsaccount. Nothing is
// created here, and Close has nothing to tear down.
func (s *Stack) startAWS(ctx context.Context, c *config) error {
	cfg, source, err := awsaccount.Connect(ctx, c.region)
	if err != nil {
		return err
	}
	s.region = cfg.Region
	s.creds = cfg.Credentials
	s.cfg = cfg
	s.log.Info("localstack: using real AWS", "region", cfg.Region, "credentials_source", source)
	return nil
}
