//go:build e2e

package reliability

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/facevec/facevec/localstack/embedded"
	"github.com/facevec/facevec/localstack/embedded/s3svc"
	"github.com/facevec/facevec/localstack/provision"
	"github.com/facevec/facevec/result"
)

// Names of the deployment every test makes.
const (
	inBucket  = "faces-in"
	outBucket = "faces-out"
	prefix    = provision.DefaultOutputPrefix
	fnName    = "facevec"
)

// Bounds on the waits. They are generous for a loaded two-core machine;
// they exist so that nothing can hang, not to assert speed.
const (
	startTimeout  = 60 * time.Second
	settleTimeout = 3 * time.Minute
)

// stack is the embedded AWS stand-in with the function deployed, plus
// what a reliability test needs around it: the fault set, clients, the
// stack's own log, and the directory the function's code is unpacked in.
type stack struct {
	srv     *embedded.Server
	faults  *s3svc.Faults
	s3      *s3.Client
	lambda  *lambda.Client
	workDir string
	// secret is the test clients' secret access key, unique per stack, so
	// that a log scan can tell whether it leaked anywhere.
	secret string
	log    *lockedBuffer // the stack's slog output (JSON lines)
}

// stackConfig configures newStack.
type stackConfig struct {
	maxConcurrency int
	spec           provision.Spec // InputBucket etc. are filled in
	zip            string         // the package; default functionZip
}

// newStack starts an embedded stack on loopback, deploys the function
// package with cfg.spec, and registers cleanup (which also runs the log
// hygiene checks every test must pass).
func newStack(t *testing.T, cfg stackConfig) *stack {
	t.Helper()
	zip := cfg.zip
	if zip == "" {
		zip = functionZip(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	st := &stack{faults: &s3svc.Faults{}, workDir: t.TempDir(), secret: randomHex(t, 20), log: &lockedBuffer{}}
	logger := slog.New(slog.NewJSONHandler(st.log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts := []embedded.Option{
		embedded.WithFaults(st.faults),
		embedded.WithWorkDir(st.workDir),
		embedded.WithLogger(logger),
	}
	if cfg.maxConcurrency > 0 {
		opts = append(opts, embedded.WithMaxConcurrency(cfg.maxConcurrency))
	}
	srv, err := embedded.Start(ctx, opts...)
	if err != nil {
		t.Fatalf("embedded.Start: %v", err)
	}
	st.srv = srv
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close embedded stack: %v", err)
		}
	})

	creds := credentials.NewStaticCredentialsProvider("e2e-reliability", st.secret, "")
	st.s3 = s3.New(s3.Options{
		Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()), UsePathStyle: true, Credentials: creds,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		// The test's own requests are never the target of a fault, but a
		// loaded machine may still make one slow: retry briefly.
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3 }),
	})
	st.lambda = lambda.New(lambda.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()), Credentials: creds})

	spec := cfg.spec
	spec.InputBucket, spec.OutputBucket, spec.OutputPrefix = inBucket, outBucket, prefix
	spec.FunctionName, spec.ZipPath = fnName, zip
	// Deploying copies a 40 MB package through S3 and unpacks it.
	dctx, dcancel := context.WithTimeout(context.Background(), 2*startTimeout)
	defer dcancel()
	if _, err := provision.Apply(dctx, st.s3, st.lambda, spec, provision.WithLogger(logger)); err != nil {
		t.Fatalf("provision.Apply: %v\nstack log:\n%s", err, st.log.String())
	}
	// Cleanups run last-in first-out: this one runs before the stack
	// closes, while the logs are complete.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("function logs:\n%s", st.functionLogs())
			t.Logf("stack log:\n%s", st.log.String())
		}
	})
	return st
}

// functionZip is the deployment package: $FACEVEC_ZIP (set by `make e2e`),
// else dist/function.zip of this checkout.
func functionZip(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FACEVEC_ZIP"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("FACEVEC_ZIP=%s: %v", p, err)
		}
		return p
	}
	p, err := filepath.Abs(filepath.Join("..", "..", "dist", "function.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no function package at %s (run `make package` or set FACEVEC_ZIP)", p)
		}
		t.Skipf("no function package at %s: run `make package` or set FACEVEC_ZIP", p)
	}
	return p
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// ctxFor is a context for one step of a test, bounded so a test can never
// hang on the stack.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// put uploads data to the input bucket and returns the ETag S3 gave it,
// quotes stripped (as events and results carry it).
func (st *stack) put(ctx context.Context, key string, data []byte) (string, error) {
	out, err := st.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(inBucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return "", fmt.Errorf("put s3://%s/%s: %w", inBucket, key, err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), nil
}

// settle waits until S3 has delivered every notification and Lambda has
// run (and retried) every asynchronous event. A Lambda retry can follow
// after S3 went idle, so both are polled until they are idle together.
func (st *stack) settle(t *testing.T) {
	t.Helper()
	ctx := ctxFor(t, settleTimeout)
	for {
		if err := st.srv.S3().WaitIdle(ctx); err != nil {
			t.Fatalf("S3 notifications still pending after %v: %v (stats %+v)", settleTimeout, err, st.srv.S3().Stats())
		}
		if err := st.srv.Lambda().WaitIdle(ctx); err != nil {
			t.Fatalf("Lambda events still running after %v: %v", settleTimeout, err)
		}
		if st.srv.S3().Stats().Pending == 0 {
			return
		}
	}
}

// resultKey is where the function writes the result of an input key.
func resultKey(key string) string {
	k, _ := result.Key(prefix, inBucket, key)
	return k
}

// listed is one object of a listing.
type listed struct {
	ETag         string
	LastModified time.Time
	Size         int64
}

// list returns every object under p in the output bucket.
func (st *stack) list(t *testing.T, p string) map[string]listed {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	out := map[string]listed{}
	pager := s3.NewListObjectsV2Paginator(st.s3, &s3.ListObjectsV2Input{Bucket: aws.String(outBucket), Prefix: aws.String(p)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list s3://%s/%s: %v", outBucket, p, err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = listed{ETag: aws.ToString(o.ETag), LastModified: aws.ToTime(o.LastModified), Size: aws.ToInt64(o.Size)}
		}
	}
	return out
}

// result reads and strictly decodes the result object of an input key.
func (st *stack) result(t *testing.T, key string) *result.Result {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	out, err := st.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(outBucket), Key: aws.String(resultKey(key))})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			t.Fatalf("no result for %q at s3://%s/%s", key, outBucket, resultKey(key))
		}
		t.Fatalf("get result of %q: %v", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read result of %q: %v", key, err)
	}
	var r result.Result
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("result of %q is not facevec.result/v1: %v\n%s", key, err, body)
	}
	if r.Schema != result.Schema || r.Faces == nil {
		t.Fatalf("result of %q: schema %q, faces %v\n%s", key, r.Schema, r.Faces, body)
	}
	if r.Error != nil && len(r.Faces) != 0 {
		t.Fatalf("result of %q has error %+v and %d faces", key, r.Error, len(r.Faces))
	}
	return &r
}

// functionLogs is everything the function's processes printed.
func (st *stack) functionLogs() string { return st.srv.Lambda().Logs(fnName) }

// noDeadLetters fails the test when Lambda gave up on any event.
func (st *stack) noDeadLetters(t *testing.T) {
	t.Helper()
	if dl := st.srv.Lambda().DeadLetters(); len(dl) != 0 {
		for _, d := range dl {
			t.Errorf("dead letter after %d attempts (%s): %s %s\npayload: %s", d.Attempts, d.Reason, d.ErrorType, d.ErrorMessage, d.Payload)
		}
	}
}

// lockedBuffer is an io.Writer safe for the concurrent slog handlers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
