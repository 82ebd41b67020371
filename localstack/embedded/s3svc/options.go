package s3svc

import (
	"context"
	"log/slog"

	"github.com/facevec/facevec/localstack/embedded/internal/defaults"
)

// Invoker delivers one event to a Lambda function as an asynchronous
// ("Event") invocation. lambdasvc.Service satisfies it.
type Invoker interface {
	InvokeAsync(ctx context.Context, functionARN string, payload []byte) error
}

// InvokerFunc adapts a function to Invoker, like http.HandlerFunc.
type InvokerFunc func(ctx context.Context, functionARN string, payload []byte) error

// InvokeAsync calls f.
func (f InvokerFunc) InvokeAsync(ctx context.Context, functionARN string, payload []byte) error {
	return f(ctx, functionARN, payload)
}

// Defaults, the same as LocalStack's.
const (
	DefaultRegion    = defaults.Region
	DefaultAccountID = defaults.AccountID
)

// Option configures New.
type Option func(*config)

type config struct {
	region    string
	accountID string
	invoker   Invoker
	logger    *slog.Logger
	faults    *Faults
	dataDir   string
}

// WithRegion sets the region of the buckets (awsRegion in events, and the
// region a notification's function ARN must be in). Default us-east-1.
func WithRegion(region string) Option { return func(c *config) { c.region = region } }

// WithAccountID sets the account that owns the buckets. Default 000000000000.
func WithAccountID(id string) Option { return func(c *config) { c.accountID = id } }

// WithInvoker sets where notifications go. Without one, notification
// configurations are refused: they could never be delivered.
func WithInvoker(inv Invoker) Option { return func(c *config) { c.invoker = inv } }

// WithLogger sets the logger; gofakes3's own messages go to it at debug
// level (warnings and errors at their level). Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithDataDir sets where object bodies are stored: a directory of the
// service's own is made in dir and removed on Close. Default: a temporary
// directory, removed on Close (or by the next stack, if this process is
// killed first).
func WithDataDir(dir string) Option { return func(c *config) { c.dataDir = dir } }

// WithFaults injects the faults f into object reads and writes. f stays
// owned by the caller, who adds faults to it while the service runs.
func WithFaults(f *Faults) Option { return func(c *config) { c.faults = f } }
