package container

import (
	"log/slog"
	"os"
	"strings"
)

// EnvAuthToken is LocalStack's license token variable; it is passed into
// the container when set (LocalStack 2026.x images require one).
const EnvAuthToken = "LOCALSTACK_AUTH_TOKEN"

// Option configures Run.
type Option func(*config)

type config struct {
	logger    *slog.Logger
	authToken string
	env       map[string]string
	getenv    func(string) string
	runID     string // set by Run: the LabelRun of its containers
}

// WithLogger sets where Run and testcontainers log.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithAuthToken passes a LocalStack auth token into the container.
func WithAuthToken(token string) Option {
	return func(c *config) { c.authToken = strings.TrimSpace(token) }
}

// WithEnv adds environment variables for the container, applied after the
// harness's own; LAMBDA_DOCKER_FLAGS is extended, not replaced.
func WithEnv(env map[string]string) Option { return func(c *config) { c.env = env } }

// WithGetenv replaces os.Getenv for the reaper and host decisions.
func WithGetenv(getenv func(string) string) Option { return func(c *config) { c.getenv = getenv } }

func newConfig(opts []Option) *config {
	c := &config{logger: slog.New(slog.DiscardHandler), getenv: os.Getenv}
	for _, o := range opts {
		o(c)
	}
	return c
}

// oneLine flattens a multi-line error message for logs and wrapped errors.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
