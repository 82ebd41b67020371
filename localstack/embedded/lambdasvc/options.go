package lambdasvc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/facevec/facevec/localstack/embedded/internal/defaults"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultRegion         = defaults.Region
	DefaultAccountID      = defaults.AccountID
	DefaultMaxConcurrency = 2
	// DefaultInitTimeout is Lambda's limit for the init phase.
	DefaultInitTimeout = 10 * time.Second
	// DefaultRetryDelay is the first pause before retrying a failed async
	// event; each further retry waits twice as long. AWS waits a minute,
	// which is too long for a local stack.
	DefaultRetryDelay = time.Second
	// DefaultLogLimit bounds the captured output kept per function.
	DefaultLogLimit = 1 << 20
)

// Options configure a Service. The zero value is usable.
type Options struct {
	Region, AccountID string // defaults us-east-1, 000000000000
	// Endpoint is the base URL of the stack, given to functions as
	// AWS_ENDPOINT_URL so their SDK clients talk to the stand-in.
	Endpoint string
	// FetchCode reads a deployment package for Code.S3Bucket/S3Key. Without
	// it such requests are rejected.
	FetchCode func(ctx context.Context, bucket, key string) ([]byte, error)
	// WorkDir is where packages are unpacked; default a temporary directory
	// removed on Close. A given WorkDir is kept, only our subdirectories go.
	WorkDir string
	// MaxConcurrency is the most execution environments (processes) per
	// function (default 2).
	MaxConcurrency int
	Logger         *slog.Logger

	// InitTimeout bounds the time from process start to the runtime's first
	// request for work (default 10 s, like Lambda).
	InitTimeout time.Duration
	// RetryDelay is the pause before the first retry of a failed async event
	// (default 1 s, doubling per retry).
	RetryDelay time.Duration
	// LogLimit is how many bytes of output Logs keeps per function
	// (default 1 MiB).
	LogLimit int
	// NoSandbox runs functions as plain child processes of this one (root
	// if it is root, host paths in view, no memory limit) instead of in the
	// sandbox that mirrors Lambda's execution environment (sandbox.go).
	// For debugging the stand-in itself; results then prove less.
	NoSandbox bool
	// FunctionOutput, when set, also gets every line the functions print,
	// as printed, the way LocalStack shows Lambda output in its own log
	// (a container's log is where `docker logs` and the harness look).
	FunctionOutput io.Writer
}

var (
	regionPattern  = defaults.RegionPattern
	accountPattern = defaults.AccountPattern
)

func (o Options) withDefaults() (Options, error) {
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	if o.MaxConcurrency == 0 {
		o.MaxConcurrency = DefaultMaxConcurrency
	}
	if o.InitTimeout == 0 {
		o.InitTimeout = DefaultInitTimeout
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = DefaultRetryDelay
	}
	if o.LogLimit == 0 {
		o.LogLimit = DefaultLogLimit
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case !regionPattern.MatchString(o.Region):
		return o, fmt.Errorf("lambdasvc: region %q is not a region name like us-east-1", o.Region)
	case !accountPattern.MatchString(o.AccountID):
		return o, fmt.Errorf("lambdasvc: account id %q is not 12 digits", o.AccountID)
	case o.MaxConcurrency < 0:
		return o, fmt.Errorf("lambdasvc: MaxConcurrency %d is negative", o.MaxConcurrency)
	case o.InitTimeout < 0, o.RetryDelay < 0:
		return o, fmt.Errorf("lambdasvc: negative InitTimeout or RetryDelay")
	case o.LogLimit < 0:
		return o, fmt.Errorf("lambdasvc: LogLimit %d is negative", o.LogLimit)
	}
	return o, nil
}
