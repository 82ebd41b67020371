package cfnsvc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// TemplateFetcher reads a template a request names by TemplateURL (an S3
// URL) from the stand-in's S3.
type TemplateFetcher func(ctx context.Context, bucket, key string) ([]byte, error)

// Service is the CloudFormation stand-in: stacks in memory, resources made
// by the registered providers.
type Service struct {
	region, account string
	log             *slog.Logger
	fetch           TemplateFetcher
	settle          time.Duration

	providers map[string]Provider

	mu     sync.Mutex
	stacks []*stack // every stack ever made, deleted ones included
	runs   sync.WaitGroup
	closed bool
}

// Option configures a Service.
type Option func(*Service)

// WithRegion sets the region of stack ARNs and AWS::Region.
func WithRegion(r string) Option { return func(s *Service) { s.region = r } }

// WithAccount sets the account of stack ARNs and AWS::AccountId.
func WithAccount(a string) Option { return func(s *Service) { s.account = a } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithTemplateFetcher lets requests name their template by TemplateURL.
func WithTemplateFetcher(f TemplateFetcher) Option { return func(s *Service) { s.fetch = f } }

// WithProvider registers the provider of one resource type.
func WithProvider(resourceType string, p Provider) Option {
	return func(s *Service) { s.providers[resourceType] = p }
}

// WithSettle sets how long a call that starts a stack operation waits for
// it to finish before answering (default 5s). CloudFormation answers at
// once; waiting a little lets the CLI's waiters, which poll every 5 to 30
// seconds, see the end state on their first call.
func WithSettle(d time.Duration) Option { return func(s *Service) { s.settle = d } }

// New makes a Service.
func New(opts ...Option) *Service {
	s := &Service{region: "us-east-1", account: "000000000000", log: slog.Default(),
		settle: 5 * time.Second, providers: map[string]Provider{}}
	s.providers[stackResourceType] = nestedStacks{s}
	for _, o := range opts {
		o(s)
	}
	s.log = s.log.With("service", "cloudformation")
	return s
}

// Close waits for the stack operations under way to finish.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.runs.Wait()
	return nil
}

func (s *Service) knownType(t string) bool {
	_, ok := s.providers[t]
	return ok
}

// validate parses a template and refuses types no provider makes, as
// CloudFormation refuses types it does not know.
func (s *Service) validate(body string) (*Template, error) {
	t, err := ParseTemplate(body)
	if err != nil {
		return nil, err
	}
	if unknown := t.UnknownTypes(s.knownType); len(unknown) > 0 {
		return nil, fmt.Errorf("%w: Unrecognized resource types: [%s]", ErrTemplate, strings.Join(unknown, ", "))
	}
	return t, nil
}

// start runs op in the background and waits up to the settle time for it.
func (s *Service) start(op func()) {
	done := make(chan struct{})
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		defer close(done)
		op()
	}()
	select {
	case <-done:
	case <-time.After(s.settle):
	}
}
