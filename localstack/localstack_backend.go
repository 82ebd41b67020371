package localstack

import (
	"context"
	"time"

	"github.com/facevec/facevec/localstack/container"
	"github.com/facevec/facevec/localstack/emulated"
)

// startLocalStack runs LocalStack (or an image serving its edge interface)
// in Docker through package container.
func (s *Stack) startLocalStack(ctx context.Context, c *config) error {
	ctr, err := container.Run(ctx, c.localstackImage(),
		container.WithLogger(s.log),
		container.WithAuthToken(c.localstackAuthToken()),
		container.WithEnv(c.containerEnv),
		container.WithGetenv(c.getenv))
	if err != nil {
		return err // Run removed whatever it started
	}
	s.onClose(ctr.Close)
	s.endpoint = ctr.Endpoint()
	s.containerID = ctr.ID()
	s.region = c.emulatedRegion()
	s.cfg = emulated.Config(s.endpoint, s.region)
	s.creds = s.cfg.Credentials
	s.logs = func(function string) string { return s.localstackLogs(function, ctr) }
	return nil
}

// localstackLogs reads the function's CloudWatch Logs group, which LocalStack
// fills with the runtime's output; when that is empty (not invoked yet, or
// the logs service failed) it falls back to the tail of the container's own
// log, which at least shows invocation errors.
func (s *Stack) localstackLogs(function string, ctr *container.Container) string {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := filterLogEvents(ctx, s.cfg, "/aws/lambda/"+function)
	if err == nil && out != "" {
		return out
	}
	if err != nil {
		s.log.Debug("localstack: CloudWatch Logs unavailable, using container log", "function", function, "err", err)
	}
	return "(no CloudWatch Logs for " + function + "; LocalStack container log follows)\n" + ctr.Log(ctx)
}
