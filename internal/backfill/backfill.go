package backfill

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Defaults of the options.
const (
	DefaultBatchSize   = 10 // tasks per invocation
	DefaultParallel    = 4  // invocations at once
	DefaultMaxAttempts = 3  // tries of a task that keeps failing temporarily
)

// S3API is the part of *s3.Client Run uses.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// LambdaAPI is the part of *lambda.Client Run uses.
type LambdaAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
	GetFunctionConfiguration(ctx context.Context, in *lambda.GetFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
}

// Job names what to backfill.
type Job struct {
	Bucket, Prefix string
	// Function is the function's name or ARN.
	Function string
	// Suffixes select the keys to encode (the deployment's notification
	// suffixes); empty means every key.
	Suffixes []string
	// Checkpoint is the checkpoint file; "" keeps none.
	Checkpoint string
}

// Report is what a run did.
type Report struct {
	Function     string `json:"function"`
	Bucket       string `json:"bucket"`
	Prefix       string `json:"prefix"`
	OutputBucket string `json:"output_bucket"`
	OutputPrefix string `json:"output_prefix"`
	Checkpoint   string `json:"checkpoint,omitempty"`
	// Listed objects have an image suffix and are not results.
	Listed int `json:"listed"`
	// Resumed were in the checkpoint, done by an earlier run with this ETag
	// and function: not sent again.
	Resumed     int `json:"resumed"`
	Invocations int `json:"invocations"`
	// Encoded got their result written by this run.
	Encoded int `json:"encoded"`
	// AlreadyEncoded already had their result (the function's idempotency).
	AlreadyEncoded int `json:"already_encoded"`
	// Skipped are not encoded by design (folder markers, results).
	Skipped int `json:"skipped"`
	// Failed ended in PermanentFailure, or in TemporaryFailure on every
	// attempt.
	Failed      []Failure     `json:"failed"`
	Interrupted bool          `json:"interrupted"`
	Duration    time.Duration `json:"duration_ns"`
}

// Failure is a task that did not succeed.
type Failure struct {
	Key        string `json:"key"`
	ResultCode string `json:"result_code"`
	// Result is the function's result string (its summary as JSON), or why
	// the invocation failed.
	Result string `json:"result"`
}

// Option configures Run.
type Option func(*runner)

// WithBatchSize sets the tasks per invocation (default DefaultBatchSize).
func WithBatchSize(n int) Option {
	return func(r *runner) {
		if n > 0 {
			r.batchSize = n
		}
	}
}

// WithParallel sets how many invocations run at once (default
// DefaultParallel).
func WithParallel(n int) Option {
	return func(r *runner) {
		if n > 0 {
			r.parallel = n
		}
	}
}

// WithMaxAttempts bounds the tries of a task that fails temporarily
// (default DefaultMaxAttempts).
func WithMaxAttempts(n int) Option {
	return func(r *runner) {
		if n > 0 {
			r.maxAttempts = n
		}
	}
}

// WithProgress is called after each invocation with the tasks finished and
// the tasks to do in this run.
func WithProgress(f func(done, total int)) Option {
	return func(r *runner) { r.progress = f }
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(r *runner) {
		if l != nil {
			r.log = l
		}
	}
}

// ErrFunction is wrapped by errors about the function's configuration.
var ErrFunction = errors.New("function")

type runner struct {
	s3          S3API
	lambda      LambdaAPI
	job         Job
	batchSize   int
	parallel    int
	maxAttempts int
	progress    func(done, total int)
	log         *slog.Logger
	retryDelay  time.Duration

	mu     sync.Mutex
	report Report
	cp     *checkpoint
	fprint string
	done   int
	total  int
}

// Run backfills job. The report is filled in as far as the run got, also
// when it ends with an error; an interrupted run returns ctx's error.
func Run(ctx context.Context, s3c S3API, lc LambdaAPI, job Job, opts ...Option) (*Report, error) {
	start := time.Now()
	r := &runner{
		s3: s3c, lambda: lc, job: job,
		batchSize: DefaultBatchSize, parallel: DefaultParallel, maxAttempts: DefaultMaxAttempts,
		log:        slog.New(slog.DiscardHandler),
		retryDelay: time.Second,
	}
	for _, o := range opts {
		o(r)
	}
	r.report = Report{Function: job.Function, Bucket: job.Bucket, Prefix: job.Prefix, Checkpoint: job.Checkpoint, Failed: []Failure{}}
	err := r.run(ctx)
	r.report.Duration = time.Since(start)
	if r.cp != nil {
		err = errors.Join(err, r.cp.close())
	}
	return &r.report, err
}

func (r *runner) run(ctx context.Context) error {
	if r.job.Bucket == "" || r.job.Function == "" {
		return errors.New("backfill: a bucket and a function are required")
	}
	cfg, err := r.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(r.job.Function)})
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrFunction, r.job.Function, err)
	}
	var env map[string]string
	if cfg.Environment != nil {
		env = cfg.Environment.Variables
	}
	r.report.OutputBucket = env["OUTPUT_BUCKET"]
	if r.report.OutputBucket == "" {
		r.report.OutputBucket = r.job.Bucket
	}
	r.report.OutputPrefix = env["OUTPUT_PREFIX"]
	if r.report.OutputPrefix == "" {
		r.report.OutputPrefix = "encodings/"
	}
	r.fprint = fingerprint(cfg.FunctionArn, cfg.LastModified, cfg.CodeSha256, env)

	var done map[string]string
	if r.job.Checkpoint != "" {
		r.cp, done, err = loadCheckpoint(r.job.Checkpoint, r.fprint, r.job.Bucket)
		if err != nil {
			return err
		}
	}

	objs, err := r.list(ctx)
	if err != nil {
		return err
	}
	r.report.Listed = len(objs)
	var todo []task
	for _, o := range objs {
		if etag, ok := done[o.key]; ok && etag == o.etag {
			r.report.Resumed++
			continue
		}
		todo = append(todo, task{key: o.key, etag: o.etag})
	}
	r.total = len(todo)
	r.log.Info("backfill listed", "bucket", r.job.Bucket, "prefix", r.job.Prefix, "listed", len(objs),
		"resumed", r.report.Resumed, "todo", len(todo))
	r.tick()

	for attempt := 1; len(todo) > 0; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
			case <-time.After(r.retryDelay * time.Duration(attempt-1)):
			}
		}
		if ctx.Err() != nil {
			r.report.Interrupted = true
			return ctx.Err()
		}
		var retry []task
		retry, err = r.round(ctx, todo, attempt)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			r.report.Interrupted = true
			return ctx.Err()
		}
		todo = retry
	}
	return nil
}

// object is a listed key.
type object struct{ key, etag string }

// task is an object to send, with the last temporary failure it had.
type task struct {
	key, etag string
	last      Failure
}

// list lists the bucket under the prefix: keys with one of the suffixes,
// not folder markers, not the function's own results.
func (r *runner) list(ctx context.Context) ([]object, error) {
	var out []object
	p := s3.NewListObjectsV2Paginator(r.s3, &s3.ListObjectsV2Input{Bucket: aws.String(r.job.Bucket), Prefix: aws.String(r.job.Prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", r.job.Bucket, r.job.Prefix, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			switch {
			case strings.HasSuffix(key, "/") && aws.ToInt64(o.Size) == 0:
			case r.report.OutputBucket == r.job.Bucket && strings.HasPrefix(key, r.report.OutputPrefix):
			case len(r.job.Suffixes) > 0 && !slices.ContainsFunc(r.job.Suffixes, func(s string) bool { return strings.HasSuffix(key, s) }):
			default:
				out = append(out, object{key: key, etag: strings.Trim(aws.ToString(o.ETag), `"`)})
			}
		}
	}
	return out, nil
}

// round sends every task once, parallel invocations of a batch each, and
// returns the tasks that failed temporarily and may be tried again. It
// stops sending when ctx ends but waits for the invocations under way.
func (r *runner) round(ctx context.Context, todo []task, attempt int) ([]task, error) {
	batches := make(chan []task)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		retry    []task
		firstErr error
	)
	for range r.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				again, err := r.send(ctx, b, attempt)
				mu.Lock()
				retry = append(retry, again...)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for len(todo) > 0 {
		n := min(r.batchSize, len(todo))
		select {
		case batches <- todo[:n]:
			todo = todo[n:]
		case <-ctx.Done():
			break feed
		}
	}
	close(batches)
	wg.Wait()
	return retry, firstErr
}

func (r *runner) tick() {
	if r.progress != nil {
		r.progress(r.done, r.total)
	}
}

// fingerprint identifies a function's deployment: a checkpoint made under
// another (redeployed, reconfigured, another stack) is not trusted.
func fingerprint(arn, lastModified, codeSHA *string, env map[string]string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", aws.ToString(arn), aws.ToString(lastModified), aws.ToString(codeSHA))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Fprintf(h, "%s=%s\n", k, env[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
