package embedded

import (
	"io"
	"log/slog"
	"time"

	"github.com/facevec/facevec/localstack/embedded/internal/defaults"
	"github.com/facevec/facevec/localstack/embedded/s3svc"
)

// DefaultAddr listens on an ephemeral loopback port: the stack accepts any
// credentials, so it must not be reachable from other hosts by default.
const DefaultAddr = "127.0.0.1:0"

// Option configures Start.
type Option func(*config)

type config struct {
	addr           string
	region         string
	logger         *slog.Logger
	maxConcurrency int
	workDir        string
	faults         *s3svc.Faults
	origins        []string
	functionOutput io.Writer
	starting       bool
	slowClient     time.Duration
}

// WithAddr sets the listen address (default 127.0.0.1:0). A non-loopback
// address exposes an unauthenticated AWS API; only do that on purpose.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithRegion sets the region of the stack (default us-east-1).
func WithRegion(region string) Option { return func(c *config) { c.region = region } }

// WithLogger sets the logger for the stack and its services (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithMaxConcurrency bounds how many function instances run at once
// (passed to the Lambda service; 0 keeps its default).
func WithMaxConcurrency(n int) Option { return func(c *config) { c.maxConcurrency = n } }

// WithWorkDir sets where the Lambda service unpacks function code (default:
// its own temporary directory).
func WithWorkDir(dir string) Option { return func(c *config) { c.workDir = dir } }

// WithFaults injects S3 faults (see s3svc.Faults) for reliability tests.
func WithFaults(f *s3svc.Faults) Option { return func(c *config) { c.faults = f } }

// WithFunctionOutput copies every line the functions print to w, as
// printed (facevec-stack: the container's log, as LocalStack does).
func WithFunctionOutput(w io.Writer) Option { return func(c *config) { c.functionOutput = w } }

// WithStartingHealth makes the health check report the services as
// "initializing" until Server.Ready is called: for a process that deploys
// into the stack before anyone should use it (facevec-stack), so that a
// client waiting for health does not upload before the notification is
// wired and lose the event.
func WithStartingHealth() Option { return func(c *config) { c.starting = true } }

// WithAllowedOrigins lets web pages of these origins ("https://app.example",
// scheme and host, and port if not the default) call the stack from a
// browser, and accepts their host in the Host header. Local origins
// (localhost, 127.0.0.1, [::1]) are always allowed; any other is refused.
func WithAllowedOrigins(origins ...string) Option {
	return func(c *config) { c.origins = append(c.origins, origins...) }
}

// DefaultRegion is the stand-in's region unless WithRegion says otherwise.
const DefaultRegion = defaults.Region

// WithSlowClientTimeout sets how long a client may send nothing before
// its connection is closed: headers not finished, an upload's body
// stalled, a keep-alive connection idle (default 30 s). An upload that
// keeps sending is never cut, however long it takes.
func WithSlowClientTimeout(d time.Duration) Option { return func(c *config) { c.slowClient = d } }
