package lambdasvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/facevec/facevec/localstack/internal/owner"
)

// Service is the embedded Lambda: REST API handler plus the execution
// environments of its functions. Create it with New; Close it.
type Service struct {
	opts       Options
	log        *slog.Logger
	workDir    string
	ownWorkDir bool
	mux        *http.ServeMux // the REST API's routes (routes.go)

	// ctx is cancelled by Close; everything waiting on a function (slot
	// queues, retries, running invocations) gives up with it.
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	functions map[string]*function
	logs      map[string]*logRing // by name; outlives a deleted function
	busy      map[string]bool     // names being created or torn down
	dead      []DeadLetter

	async    asyncTracker
	wg       sync.WaitGroup // async deliveries
	inflight sync.WaitGroup // API requests being served

	sandbox *sandboxer
	// checkPeers: Runtime APIs admit only their environment's processes.
	checkPeers bool
	output     *lockedWriter

	seq       atomic.Int64 // code directories and environment ids
	closeOnce sync.Once
	closeErr  error
}

// stackIDs are the ids a sandbox's user namespace maps Lambda's to, nil
// when the stack is root and needs none.
func stackIDs() *hostIDs {
	if os.Geteuid() == 0 {
		return nil
	}
	return &hostIDs{uid: os.Geteuid(), gid: os.Getegid()}
}

// A temporary work directory is named workDirPattern and holds ownerFile.
const (
	workDirPattern = "facevec-lambda-"
	ownerFile      = owner.File
)

// closeGrace is how long Close waits for API requests in progress.
const closeGrace = 5 * time.Second

// New makes a Service. Nothing runs until functions are created and invoked.
func New(opts Options) (*Service, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Service{
		opts:      opts,
		log:       opts.Logger.With("service", "lambda"),
		functions: make(map[string]*function),
		logs:      make(map[string]*logRing),
		busy:      make(map[string]bool),
	}
	s.mux = s.newMux()
	if opts.WorkDir == "" {
		// Owned, so that a later stack removes it if this process is killed
		// before Close (SIGKILL leaves the unpacked packages, ~100 MB each).
		owner.RemoveStaleDirs(workDirPattern, s.log)
		dir, err := owner.MkdirTemp(workDirPattern)
		if err != nil {
			return nil, fmt.Errorf("lambdasvc: create work dir: %w", err)
		}
		s.workDir, s.ownWorkDir = dir, true
	} else {
		dir, err := filepath.Abs(opts.WorkDir)
		if err != nil {
			return nil, fmt.Errorf("lambdasvc: work dir %s: %w", opts.WorkDir, err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("lambdasvc: create work dir: %w", err)
		}
		s.workDir = dir
	}
	if opts.FunctionOutput != nil {
		s.output = &lockedWriter{w: opts.FunctionOutput}
	}
	s.sandbox = newSandboxer(opts.NoSandbox, s.workDir, stackIDs())
	s.sandbox.warn(s.log)
	if gap := peerCheckGap(); gap != "" {
		s.log.Warn("lambda runtime API: " + gap)
	} else {
		s.checkPeers = true
	}
	if s.sandbox.active() {
		s.log.Debug("lambda sandbox active", "memory", fmt.Sprint(s.sandbox.memory))
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.async.init()
	return s, nil
}

// Close kills every function process (whole process groups) and waits for
// them, drops queued async events (logged, kept as dead letters), and
// removes what it unpacked. It is idempotent.
func (s *Service) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Service) close() error {
	s.mu.Lock()
	s.closed = true
	fns := make([]*function, 0, len(s.functions))
	for _, f := range s.functions {
		fns = append(fns, f)
	}
	s.functions = map[string]*function{}
	s.mu.Unlock()

	s.cancel()
	for _, f := range fns {
		f.pool.close()
	}
	s.wg.Wait()
	// Let requests that were already in (a create unpacking code, an
	// invocation seeing its environment die) finish before removing their
	// directories; a client stuck uploading does not hold Close up for long.
	served := make(chan struct{})
	go func() { s.inflight.Wait(); close(served) }()
	select {
	case <-served:
	case <-time.After(closeGrace):
		s.log.Warn("lambda service closing with API requests still in progress")
	}

	var errs []error
	if s.ownWorkDir {
		if err := os.RemoveAll(s.workDir); err != nil {
			errs = append(errs, fmt.Errorf("lambdasvc: remove work dir: %w", err))
		}
	} else {
		for _, f := range fns {
			if err := os.RemoveAll(f.dir); err != nil {
				errs = append(errs, fmt.Errorf("lambdasvc: remove %s: %w", f.dir, err))
			}
		}
	}
	s.log.Debug("lambda service closed", "functions", len(fns))
	return errors.Join(errs...)
}

// Logs returns what the function's processes wrote to stdout and stderr so
// far, with Lambda's START/END/REPORT lines, at most Options.LogLimit bytes
// (the most recent). function is a name or an ARN; unknown names give "".
func (s *Service) Logs(function string) string {
	ref, aerr := s.parseFunctionRef(function)
	if aerr != nil {
		return ""
	}
	s.mu.Lock()
	r := s.logs[ref.name]
	s.mu.Unlock()
	if r == nil {
		return ""
	}
	return r.String()
}

// FunctionNames lists the functions that exist, sorted.
func (s *Service) FunctionNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.functions))
	for n := range s.functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// lookup finds a function by name or ARN, with $LATEST as the only
// qualifier that names anything.
func (s *Service) lookup(nameOrARN, qualifier string) (*function, *apiError) {
	ref, aerr := s.parseFunctionRef(nameOrARN)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkQualifier(ref, qualifier); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errServiceClosed()
	}
	f := s.functions[ref.name]
	if f == nil {
		return nil, errFunctionNotFound(s.arnFor(ref.name))
	}
	return f, nil
}

// logRingFor returns the function's log ring, creating it on first use.
func (s *Service) logRingFor(name string) *logRing {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.logs[name]
	if r == nil {
		r = newLogRing(s.opts.LogLimit)
		s.logs[name] = r
	}
	return r
}

// ServeHTTP serves the Lambda REST API. A panic in a handler becomes a 500
// ServiceException rather than a dropped connection.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("lambda API handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeError(w, errService("internal error handling %s %s: %v", r.Method, r.URL.Path, v))
		}
	}()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeError(w, errServiceClosed())
		return
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()
	s.route(w, r)
}
