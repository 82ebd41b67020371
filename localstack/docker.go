package localstack

import (
	"context"
	"fmt"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// dockerProbeTimeout bounds the health check so that a wedged Docker socket
// degrades to the embedded backend instead of hanging the test binary.
const dockerProbeTimeout = 10 * time.Second

// dockerHealth is testcontainers-go's own provider health check (the one
// behind SkipIfProviderIsNotHealthy), so "Docker answers" means the same
// thing here as in the tests that skip without it.
func dockerHealth(ctx context.Context) (err error) {
	// testcontainers panics in a few environment-detection paths (for example
	// MustExtractDockerHost); a missing engine must never crash the caller.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker provider panicked: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, dockerProbeTimeout)
	defer cancel()

	p, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return fmt.Errorf("docker provider: %w", err)
	}
	defer p.Close()
	if err := p.Health(ctx); err != nil {
		return fmt.Errorf("docker health: %w", err)
	}
	return nil
}
