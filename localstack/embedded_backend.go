package localstack

import (
	"context"
	"fmt"

	"github.com/facevec/facevec/localstack/embedded"
	"github.com/facevec/facevec/localstack/emulated"
)

// defaultEmbeddedAddr keeps the stand-in on loopback and off fixed ports,
// so parallel test binaries never collide.
const defaultEmbeddedAddr = "127.0.0.1:0"

// startEmbedded runs the pure-Go stand-in in this process.
func (s *Stack) startEmbedded(ctx context.Context, c *config) error {
	addr := c.addr
	if addr == "" {
		addr = defaultEmbeddedAddr
	}
	opts := []embedded.Option{
		embedded.WithAddr(addr),
		embedded.WithRegion(c.emulatedRegion()),
		embedded.WithLogger(c.logger),
	}
	if c.workDir != "" {
		opts = append(opts, embedded.WithWorkDir(c.workDir))
	}
	if c.maxConcurrency > 0 {
		opts = append(opts, embedded.WithMaxConcurrency(c.maxConcurrency))
	}
	if len(c.origins) > 0 {
		opts = append(opts, embedded.WithAllowedOrigins(c.origins...))
	}
	srv, err := embedded.Start(ctx, opts...)
	if err != nil {
		return fmt.Errorf("embedded server on %s: %w", addr, err)
	}
	s.onClose(func() error {
		if err := srv.Close(); err != nil {
			return fmt.Errorf("close embedded server: %w", err)
		}
		return nil
	})
	s.endpoint = srv.Endpoint()
	s.region = srv.Region()
	s.cfg = emulated.Config(s.endpoint, s.region)
	s.creds = s.cfg.Credentials
	s.logs = func(function string) string { return srv.Lambda().Logs(function) }
	s.embedded = srv
	return nil
}
