package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/facevec/facevec/localstack/embedded/cfnproviders"
	"github.com/facevec/facevec/localstack/embedded/cfnsvc"
	"github.com/facevec/facevec/localstack/embedded/internal/defaults"
	"github.com/facevec/facevec/localstack/embedded/internal/slowclient"
	"github.com/facevec/facevec/localstack/embedded/lambdasvc"
	"github.com/facevec/facevec/localstack/embedded/s3svc"
	"github.com/facevec/facevec/localstack/embedded/s3vectorssvc"
	"github.com/facevec/facevec/localstack/embedded/stssvc"
)

// Server is a running embedded stack.
type Server struct {
	endpoint string
	region   string
	log      *slog.Logger

	http   *http.Server
	served chan struct{} // closed when Serve returns
	s3     *s3svc.Service
	lambda *lambdasvc.Service
	// vectors is S3 Vectors (signed requests for service "s3vectors").
	vectors *s3vectorssvc.Service
	// cfn is CloudFormation, making resources through cfnResources.
	cfn          *cfnsvc.Service
	cfnResources *cfnproviders.Set

	starting atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

// Ready makes the health check report the services as running (see
// WithStartingHealth).
func (s *Server) Ready() { s.starting.Store(false) }

// Shutdown tuning: in-flight requests get drainGrace before the services
// close (which ends Runtime API long polls held by function processes), and
// everything must be done within closeTimeout.
const (
	drainGrace   = 2 * time.Second
	closeTimeout = 15 * time.Second
)

// Start listens, starts S3 and Lambda and serves them until Close. ctx
// bounds the start-up only. On error nothing is left running.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	cfg := config{addr: DefaultAddr, region: defaults.Region}
	for _, o := range opts {
		o(&cfg)
	}
	// Empty means default, so callers can pass their own unset settings.
	if cfg.addr == "" {
		cfg.addr = DefaultAddr
	}
	if cfg.region == "" {
		cfg.region = defaults.Region
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	if cfg.maxConcurrency < 0 {
		return nil, fmt.Errorf("embedded: WithMaxConcurrency(%d): want 0 (default) or more", cfg.maxConcurrency)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embedded: start: %w", err)
	}
	log := cfg.logger.With("component", "embedded")

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("embedded: listen on %s: %w", cfg.addr, err)
	}
	endpoint, err := endpointFor(ln.Addr())
	if err != nil {
		ln.Close()
		return nil, err
	}

	srv := &Server{endpoint: endpoint, region: cfg.region, log: log, served: make(chan struct{})}
	srv.starting.Store(cfg.starting)

	// S3 delivers notifications to Lambda and Lambda fetches code from S3;
	// the invoker closure breaks the cycle (srv.lambda is set before the
	// listener serves anything).
	s3, err := s3svc.New(
		s3svc.WithRegion(cfg.region),
		s3svc.WithLogger(cfg.logger),
		s3svc.WithFaults(cfg.faults),
		s3svc.WithInvoker(s3svc.InvokerFunc(func(ctx context.Context, arn string, payload []byte) error {
			return srv.lambda.InvokeAsync(ctx, arn, payload)
		})),
	)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("embedded: %w", err)
	}
	lam, err := lambdasvc.New(lambdasvc.Options{
		Region:         cfg.region,
		AccountID:      defaults.AccountID,
		Endpoint:       endpoint,
		FetchCode:      s3.ReadObject,
		WorkDir:        cfg.workDir,
		MaxConcurrency: cfg.maxConcurrency,
		Logger:         cfg.logger,
		FunctionOutput: cfg.functionOutput,
	})
	if err != nil {
		s3.Close()
		ln.Close()
		return nil, fmt.Errorf("embedded: start lambda: %w", err)
	}
	srv.s3, srv.lambda = s3, lam
	srv.vectors = s3vectorssvc.New(cfg.region, s3svc.DefaultAccountID, cfg.logger)
	srv.cfnResources = cfnproviders.New(endpoint, cfg.region, s3svc.DefaultAccountID)
	srv.cfn = cfnsvc.New(append(srv.cfnResources.Options(),
		cfnsvc.WithRegion(cfg.region), cfnsvc.WithAccount(s3svc.DefaultAccountID), cfnsvc.WithLogger(cfg.logger),
		cfnsvc.WithTemplateFetcher(s3.ReadObject))...)

	srv.http = slowclient.Bound(&http.Server{
		Handler: &originGuard{
			next:    &router{s3: s3, lambda: lam, vectors: srv.vectors, cloudformation: srv.cfn, sts: stssvc.New(s3svc.DefaultAccountID), region: cfg.region, log: log, starting: &srv.starting},
			origins: cfg.origins,
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}, cfg.slowClient)
	go func() {
		defer close(srv.served)
		if err := srv.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("embedded stack stopped serving", "err", err)
		}
	}()
	log.Info("embedded AWS stack listening", "endpoint", endpoint, "region", cfg.region)
	return srv, nil
}

// endpointFor turns the listener address into a URL clients can use: an
// unspecified address (0.0.0.0, ::) is reached through loopback.
func endpointFor(addr net.Addr) (string, error) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "", fmt.Errorf("embedded: listener address %v is not TCP", addr)
	}
	ip := tcp.IP
	// A wildcard listener (Go's "tcp" on ":4566" or "0.0.0.0:4566" is
	// dual-stack and reports [::]) is reached at 127.0.0.1: containers
	// often have no IPv6 loopback at all.
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port)), nil
}

// Endpoint is the base URL of both services, e.g. http://127.0.0.1:4566.
func (s *Server) Endpoint() string { return s.endpoint }

// Region is the region of the stack.
func (s *Server) Region() string { return s.region }

// Lambda is the Lambda service, for logs and direct invocation.
func (s *Server) Lambda() *lambdasvc.Service { return s.lambda }

// S3Vectors is the S3 Vectors service, for its Stats.
func (s *Server) S3Vectors() *s3vectorssvc.Service { return s.vectors }

// CloudFormation is the CloudFormation service.
func (s *Server) CloudFormation() *cfnsvc.Service { return s.cfn }

// CloudFormationResources are the providers of stack resources, with the
// IAM roles and log groups stacks made.
func (s *Server) CloudFormationResources() *cfnproviders.Set { return s.cfnResources }

// S3 is the S3 service, for notification delivery stats and WaitIdle.
func (s *Server) S3() *s3svc.Service { return s.s3 }

// Close stops accepting connections, lets in-flight requests finish (for a
// short while), delivers queued notifications, then closes Lambda, which
// stops its function processes. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()

	shutdown := make(chan error, 1)
	go func() { shutdown <- s.http.Shutdown(ctx) }()

	var errs []error
	var shutdownErr error
	shutdownDone := false
	select {
	case shutdownErr = <-shutdown:
		shutdownDone = true
	case <-time.After(drainGrace):
		// Requests still open are most likely Runtime API long polls that
		// only end when Lambda stops its processes, below.
	}
	if err := s.cfn.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close cloudformation: %w", err))
	}
	if err := s.s3.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close s3: %w", err))
	}
	if err := s.lambda.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close lambda: %w", err))
	}
	if !shutdownDone {
		shutdownErr = <-shutdown
	}
	if shutdownErr != nil {
		// Out of patience: cut the remaining connections.
		_ = s.http.Close()
		errs = append(errs, fmt.Errorf("shut down http: %w", shutdownErr))
	}
	<-s.served
	s.log.Info("embedded AWS stack stopped", "endpoint", s.endpoint)
	return errors.Join(errs...)
}
