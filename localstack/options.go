package localstack

import (
	"log/slog"
	"os"
	"strings"

	"github.com/facevec/facevec/localstack/container"
	"github.com/facevec/facevec/localstack/embedded"
)

// Environment variables read by Start. Options always win over them.
const (
	// EnvImage overrides the LocalStack image (default DefaultImage).
	EnvImage = "FACEVEC_LOCALSTACK_IMAGE"
	// EnvAuthToken is forwarded to the LocalStack container when set; recent
	// LocalStack images refuse to start without it.
	EnvAuthToken = container.EnvAuthToken
)

// DefaultImage is the LocalStack image used unless WithImage or
// FACEVEC_LOCALSTACK_IMAGE says otherwise.
const DefaultImage = container.DefaultImage

// DefaultRegion is used by the emulated backends when neither WithRegion nor
// AWS_REGION / AWS_DEFAULT_REGION says otherwise. The aws backend has no
// default: guessing a region for real resources is a footgun.
const DefaultRegion = embedded.DefaultRegion

// Option configures Start.
type Option func(*config)

type config struct {
	backend Backend
	region  string
	logger  *slog.Logger

	// LocalStack backend.
	image        string
	authToken    *string
	containerEnv map[string]string

	// Embedded backend.
	addr           string
	workDir        string
	maxConcurrency int
	origins        []string

	// Test seams.
	getenv func(string) string
	probe  imageProbe
}

// WithBackend forces a backend instead of E2E_BACKEND or Docker detection.
func WithBackend(b Backend) Option { return func(c *config) { c.backend = b } }

// WithRegion sets the AWS region. For the aws backend it overrides AWS_REGION.
func WithRegion(region string) Option { return func(c *config) { c.region = region } }

// WithLogger sets the slog logger for the stack and everything it starts.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithImage sets the LocalStack image, overriding FACEVEC_LOCALSTACK_IMAGE.
func WithImage(image string) Option { return func(c *config) { c.image = image } }

// WithAuthToken sets LOCALSTACK_AUTH_TOKEN for the container, overriding the
// environment. An empty token means "do not forward one".
func WithAuthToken(token string) Option { return func(c *config) { c.authToken = &token } }

// WithContainerEnv adds environment variables to the LocalStack container
// (DEBUG=1 is the usual one). They are applied after the defaults, so they
// can also override SERVICES or LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT.
func WithContainerEnv(env map[string]string) Option {
	return func(c *config) {
		if c.containerEnv == nil {
			c.containerEnv = make(map[string]string, len(env))
		}
		for k, v := range env {
			c.containerEnv[k] = v
		}
	}
}

// WithAddr sets the listen address of the embedded backend
// (default 127.0.0.1:0, a free loopback port).
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithWorkDir sets the embedded backend's working directory (unpacked
// function code, scratch files). Default: a temporary directory.
func WithWorkDir(dir string) Option { return func(c *config) { c.workDir = dir } }

// WithAllowedOrigins lets browser pages of these origins call the embedded
// backend (local pages always may; see embedded.WithAllowedOrigins).
func WithAllowedOrigins(origins ...string) Option {
	return func(c *config) { c.origins = append(c.origins, origins...) }
}

// WithMaxConcurrency caps concurrent Lambda invocations on the embedded
// backend (default: the embedded package's own default).
func WithMaxConcurrency(n int) Option { return func(c *config) { c.maxConcurrency = n } }

func newConfig(opts []Option) *config {
	c := &config{getenv: os.Getenv}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

func (c *config) env(key string) string { return strings.TrimSpace(c.getenv(key)) }

// emulatedRegion is the region for LocalStack and the embedded backend.
func (c *config) emulatedRegion() string {
	for _, r := range []string{c.region, c.env("AWS_REGION"), c.env("AWS_DEFAULT_REGION")} {
		if r != "" {
			return r
		}
	}
	return DefaultRegion
}

// localstackImage resolves the image: WithImage, then FACEVEC_LOCALSTACK_IMAGE,
// then DefaultImage.
func (c *config) localstackImage() string {
	if c.image != "" {
		return c.image
	}
	if img := c.env(EnvImage); img != "" {
		return img
	}
	return DefaultImage
}

// localstackAuthToken resolves the auth token: WithAuthToken, then the
// environment. "" means none.
func (c *config) localstackAuthToken() string {
	if c.authToken != nil {
		return *c.authToken
	}
	return c.env(EnvAuthToken)
}
