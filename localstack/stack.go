package localstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/facevec/facevec/localstack/embedded"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Stack is a running S3 + Lambda environment. Whatever the backend, it hands
// out ordinary aws-sdk-go-v2 clients.
type Stack struct {
	backend  Backend
	endpoint string
	region   string
	creds    aws.CredentialsProvider
	cfg      aws.Config
	log      *slog.Logger

	s3c *s3.Client
	lc  *lambda.Client

	// embedded is the in-process server on the embedded backend, else nil.
	embedded *embedded.Server
	// containerID is the LocalStack (or compatible) container's id on the
	// localstack backend, else "".
	containerID string

	// logs returns a function's output, best effort; nil means "none".
	logs func(function string) string

	mu      sync.Mutex
	closers []func() error // run last-in first-out
	closed  bool
	err     error
}

// Start brings up a stack on the backend chosen by WithBackend, else by
// E2E_BACKEND, else LocalStack when a Docker provider answers and the
// embedded stand-in otherwise. On error everything already started has been
// torn down. The caller must Close the stack.
func Start(ctx context.Context, opts ...Option) (*Stack, error) {
	cfg := newConfig(opts)
	b, why, err := chooseBackend(ctx, cfg.backend, cfg.getenv(EnvBackend), cfg.localstackImage(), cfg.probe)
	if err != nil {
		return nil, err
	}
	cfg.logger.Info("localstack: backend chosen", "backend", string(b), "reason", why)

	st := &Stack{backend: b, log: cfg.logger.With("backend", string(b))}
	switch b {
	case BackendLocalStack:
		err = st.startLocalStack(ctx, cfg)
	case BackendEmbedded:
		err = st.startEmbedded(ctx, cfg)
	case BackendAWS:
		err = st.startAWS(ctx, cfg)
	}
	if err != nil {
		// Tear down whatever the backend got as far as starting.
		if cerr := st.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("cleanup after failed start: %w", cerr))
		}
		return nil, fmt.Errorf("start %s backend: %w", b, err)
	}
	st.s3c = s3.NewFromConfig(st.cfg, func(o *s3.Options) {
		// Emulators serve buckets under the path, not as virtual hosts:
		// bucket.127.0.0.1 does not resolve.
		o.UsePathStyle = st.endpoint != ""
	})
	st.lc = lambda.NewFromConfig(st.cfg)
	st.log.Info("localstack: stack ready", "endpoint", st.endpoint, "region", st.region)
	return st, nil
}

// Embedded returns the in-process server on the embedded backend (for
// WaitIdle, DeadLetters, fault injection and logs in tests), nil otherwise.
func (s *Stack) Embedded() *embedded.Server { return s.embedded }

// onClose registers a teardown step; steps run in reverse order.
func (s *Stack) onClose(f func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closers = append(s.closers, f)
}

// ContainerID is the id of the container running the stack on the
// localstack backend, "" on the others.
func (s *Stack) ContainerID() string { return s.containerID }

// Backend reports which backend runs the stack.
func (s *Stack) Backend() Backend { return s.backend }

// Endpoint is the base URL of the emulated AWS endpoint, "" for real AWS.
func (s *Stack) Endpoint() string { return s.endpoint }

// Region is the AWS region the stack's clients use.
func (s *Stack) Region() string { return s.region }

// Credentials are the credentials the stack's clients sign with: static test
// credentials for the emulators, the default chain for real AWS.
func (s *Stack) Credentials() aws.CredentialsProvider { return s.creds }

// AWSConfig returns a copy of the stack's SDK configuration, for clients of
// other services. For the emulators it carries BaseEndpoint; S3 clients made
// from it must also set UsePathStyle (S3 does that).
func (s *Stack) AWSConfig() aws.Config { return s.cfg.Copy() }

// S3 returns the stack's S3 client (path-style for the emulators).
func (s *Stack) S3() *s3.Client { return s.s3c }

// Lambda returns the stack's Lambda client.
func (s *Stack) Lambda() *lambda.Client { return s.lc }

// FunctionLogs returns what the named function printed so far, best effort:
// the embedded backend's captured output, LocalStack's CloudWatch Logs (or
// the container log when those are empty), "" for real AWS.
func (s *Stack) FunctionLogs(function string) string {
	if s.logs == nil {
		return ""
	}
	return s.logs(function)
}

// Close tears the stack down: containers terminated, servers stopped,
// temporary files removed. It is idempotent and safe on a stack that only
// partly started; later calls return the first call's error.
func (s *Stack) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.err
	}
	s.closed = true
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	s.closers = nil
	s.err = errors.Join(errs...)
	if s.err != nil {
		s.log.Warn("localstack: close", "err", s.err)
	}
	return s.err
}
