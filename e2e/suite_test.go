//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/localstack"
	"github.com/facevec/facevec/localstack/provision"
	"github.com/facevec/facevec/result"
)

// maxConcurrency caps the embedded backend's function environments: each
// loads the models and runs dlib on every core, and the machine has two.
const maxConcurrency = 2

// suite is the shared deployment of the e2e tests: one stack, one
// function, every fixture uploaded once and its result fetched.
type suite struct {
	cfg   settings
	stack *localstack.Stack
	spec  provision.Spec
	out   *provision.Outputs
	log   *recorder

	manifest map[string]fixtures.Entry
	golden   map[string]*result.Result
	ledger   *ledger

	// uploads is the batch uploaded at set-up, in upload order.
	uploads []*upload
}

var (
	suiteOnce sync.Once
	suiteMu   sync.Mutex
	theSuite  *suite
	suiteErr  error
)

// getSuite sets the suite up on first use, so that running only
// TestAWSCLI does not deploy and encode everything.
func getSuite(t *testing.T) *suite {
	t.Helper()
	suiteOnce.Do(func() {
		s, err := setUp(rootCtx)
		suiteMu.Lock()
		theSuite, suiteErr = s, err
		suiteMu.Unlock()
	})
	if suiteErr != nil {
		t.Fatalf("e2e set-up: %v", suiteErr)
	}
	return theSuite
}

func suiteIfStarted() *suite {
	suiteMu.Lock()
	defer suiteMu.Unlock()
	return theSuite
}

// in and outBucket name the deployment's buckets.
func (s *suite) in() string        { return s.out.InputBucket }
func (s *suite) outBucket() string { return s.out.OutputBucket }

// resultKey is where the function writes the result for an input key.
func (s *suite) resultKey(key string) string {
	k, _ := result.Key(s.out.OutputPrefix, s.out.InputBucket, key)
	return k
}

func setUp(ctx context.Context) (_ *suite, err error) {
	start := time.Now()
	cfg, err := loadSettings()
	if err != nil {
		return nil, err
	}
	s := &suite{cfg: cfg, ledger: newLedger()}
	if err := s.loadExpectations(); err != nil {
		return nil, err
	}

	s.log = newRecorder(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	s.spec = provision.Spec{
		InputBucket:  "facevec-e2e-in-" + cfg.suffix,
		OutputBucket: "facevec-e2e-out-" + cfg.suffix,
		FunctionName: "facevec-e2e-" + cfg.suffix,
		Env: map[string]string{
			"DETECTOR": "hog",
			"UPSAMPLE": "1",
			"JITTER":   "0",
			"MAX_SIDE": "2000",
		},
		MemoryMB: 2048,
		TimeoutS: 120,
	}
	s.stack, s.out, err = deploy(ctx, cfg, s.spec, maxConcurrency, slog.New(s.log))
	if err != nil {
		return nil, err
	}
	fmt.Printf("e2e: deployed %s in %s\n", s.out.FunctionARN, time.Since(start).Round(time.Millisecond))

	s.uploads, err = s.plan()
	if err != nil {
		return nil, err
	}
	if err := s.uploadAll(ctx); err != nil {
		return nil, err
	}
	s.waitAll(ctx)
	return s, nil
}

// deploy starts a stack (backend from E2E_BACKEND) and applies spec to it,
// with cfg's package and role and no Lambda retries (a failed event must
// show up as a dead letter at once, not after minutes on AWS). Both are on
// the teardown list before they exist, so a half-done Apply is undone too.
//
// before, when given, runs on the started stack before anything is
// provisioned (to fill a bucket the function is then deployed on).
func deploy(ctx context.Context, cfg settings, spec provision.Spec, concurrency int, logger *slog.Logger, before ...func(*localstack.Stack) error) (*localstack.Stack, *provision.Outputs, error) {
	if backendFromEnv() == localstack.BackendAWS && cfg.roleARN == "" {
		return nil, nil, fmt.Errorf("%s=aws needs %s: an execution role Lambda can assume (see e2e/doc.go)", localstack.EnvBackend, envRoleARN)
	}
	spec.ZipPath, spec.RoleARN, spec.MaxRetryAttempts = cfg.zip, cfg.roleARN, aws.Int32(0)
	st, err := localstack.Start(ctx, localstack.WithLogger(logger), localstack.WithMaxConcurrency(concurrency))
	if err != nil {
		return nil, nil, fmt.Errorf("start stack: %w", err)
	}
	if err := teardown.add(st.Close); err != nil {
		return nil, nil, fmt.Errorf("close stack: %w", err)
	}
	fmt.Printf("e2e: backend %s, endpoint %q, container %q, input s3://%s, output s3://%s, function %s\n",
		st.Backend(), st.Endpoint(), st.ContainerID(), spec.InputBucket, spec.OutputBucket, spec.FunctionName)
	destroy := func() error {
		dctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		return provision.Destroy(dctx, st.S3(), st.Lambda(), spec, provision.WithDeleteBuckets(), provision.WithLogger(logger))
	}
	if err := teardown.add(destroy); err != nil {
		return nil, nil, fmt.Errorf("destroy: %w", err)
	}
	if st.Backend() != localstack.BackendAWS && concurrency > 0 {
		// The same cap on every emulated backend: on LocalStack each
		// environment is a container holding its own dlib networks, and a
		// burst could start more than a small laptop can hold (a start that
		// passes LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT loses the event, with no
		// retries here). Not on AWS, where reserved concurrency is taken
		// from the account's and small accounts cannot spare it.
		spec.ReservedConcurrency = aws.Int32(int32(concurrency))
	}
	for _, f := range before {
		if err := f(st); err != nil {
			return nil, nil, err
		}
	}
	out, err := provision.Apply(ctx, st.S3(), st.Lambda(), spec, provision.WithLogger(logger))
	if err != nil {
		return nil, nil, fmt.Errorf("deploy %s: %w", cfg.zip, err)
	}
	return st, out, nil
}

// loadExpectations reads the manifest and the golden results.
func (s *suite) loadExpectations() error {
	entries, err := fixtures.Load(s.cfg.fixturesDir)
	if err != nil {
		return err
	}
	s.manifest = make(map[string]fixtures.Entry, len(entries))
	for _, e := range entries {
		s.manifest[e.Path] = e
	}
	s.golden, err = fixtures.LoadGolden(filepath.Join(s.cfg.fixturesDir, "golden", "results.jsonl"))
	if err != nil {
		return err
	}
	var missing []string
	for _, e := range entries {
		if _, ok := s.golden[e.Path]; !ok {
			missing = append(missing, e.Path)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("fixtures/golden/results.jsonl has no result for %q (make golden)", missing)
	}
	return nil
}

// uploadAll puts the batch into the input bucket, in plan order.
func (s *suite) uploadAll(ctx context.Context) error {
	start := time.Now()
	var bytes int64
	for _, u := range s.uploads {
		s.ledger.uploaded(u.Key)
		if u.Triggers {
			s.ledger.expectResult(s.resultKey(u.Key))
		}
		etag, size, err := putFile(ctx, s.stack.S3(), s.in(), u.Key, u.File)
		if err != nil {
			return err
		}
		u.ETag, u.Size, u.Uploaded = etag, size, time.Now()
		bytes += size
	}
	fmt.Printf("e2e: uploaded %d objects (%.1f MiB) in %s\n", len(s.uploads), float64(bytes)/(1<<20), time.Since(start).Round(time.Millisecond))
	return nil
}

// waitAll waits for every result the batch must produce, all at once,
// within the configured bound. A missing result is recorded on its upload
// (and fails that upload's test), not returned: one slow image must not
// hide what the others show.
func (s *suite) waitAll(ctx context.Context) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.wait)
	defer cancel()
	var wg sync.WaitGroup
	for _, u := range s.uploads {
		if !u.Triggers {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.fetch(ctx, s)
		}()
	}
	wg.Wait()
	n, failed := 0, 0
	for _, u := range s.uploads {
		if u.Triggers {
			n++
			if u.Err != nil {
				failed++
			}
		}
	}
	fmt.Printf("e2e: %d results in %s (%d missing or unreadable)\n", n-failed, time.Since(start).Round(time.Millisecond), failed)
}

// fetch waits for the upload's result and reads it.
func (u *upload) fetch(ctx context.Context, s *suite) {
	c := s.stack.S3()
	key := s.resultKey(u.Key)
	if _, err := waitObject(ctx, c, s.outBucket(), key, nil); err != nil {
		u.Err = err
		return
	}
	u.Latency = time.Since(u.Uploaded)
	data, out, err := getObject(ctx, c, s.outBucket(), key)
	if err != nil {
		u.Err = err
		return
	}
	u.Raw, u.ContentType = data, aws.ToString(out.ContentType)
	u.Result, err = decodeResult(data)
	if err != nil {
		u.Err = fmt.Errorf("s3://%s/%s is not a facevec.result/v1 document: %w", s.outBucket(), key, err)
	}
}

// find returns the upload with key, or nil.
func (s *suite) find(key string) *upload {
	for _, u := range s.uploads {
		if u.Key == key {
			return u
		}
	}
	return nil
}
