package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/schollz/progressbar/v3"

	"github.com/facevec/facevec/internal/backfill"
	"github.com/facevec/facevec/localstack/provision"
)

func runBackfill(ctx context.Context, args []string, stdio IO) (int, error) {
	var (
		job                           backfill.Job
		suffixes, checkpoint          string
		batchSize, parallel, attempts int
	)
	fs := newFlags("backfill", "--bucket B [--prefix P] --function F [flags]", stdio)
	fs.StringVar(&job.Bucket, "bucket", "", "bucket holding the photos (required)")
	fs.StringVar(&job.Prefix, "prefix", "", "only keys under this prefix")
	fs.StringVar(&job.Function, "function", "", "the deployed function's name or ARN (required)")
	fs.StringVar(&suffixes, "suffixes", strings.Join(provision.DefaultSuffixes, ","), "comma-separated key suffixes to encode (empty: every key)")
	fs.StringVar(&checkpoint, "checkpoint", "", "checkpoint file that makes a rerun resume (default: one per endpoint, function and bucket in the user cache directory; \"-\": none)")
	fs.IntVar(&batchSize, "batch-size", backfill.DefaultBatchSize, "objects per invocation")
	fs.IntVar(&parallel, "parallel", backfill.DefaultParallel, "invocations at once")
	fs.IntVar(&attempts, "max-attempts", backfill.DefaultMaxAttempts, "tries of an object that keeps failing temporarily")
	rest, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	switch {
	case len(rest) > 0:
		return 0, usageErr(stdio, fs, "unexpected arguments %q", rest)
	case job.Bucket == "" || job.Function == "":
		return 0, usageErr(stdio, fs, "--bucket and --function are required")
	case batchSize < 1 || parallel < 1 || attempts < 1:
		return 0, usageErr(stdio, fs, "--batch-size, --parallel and --max-attempts must be 1 or more")
	}
	for s := range strings.SplitSeq(suffixes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			job.Suffixes = append(job.Suffixes, s)
		}
	}

	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return 0, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return 0, errors.New("no AWS region: export AWS_REGION (the embedded stack's is us-east-1)")
	}
	endpoint := aws.ToString(cfg.BaseEndpoint) // AWS_ENDPOINT_URL
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// Emulators serve buckets by path, not by host name.
		o.UsePathStyle = endpoint != ""
	})
	lc := lambda.NewFromConfig(cfg)

	switch checkpoint {
	case "-":
	case "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return 0, fmt.Errorf("checkpoint: %w (set --checkpoint)", err)
		}
		id := sha256.Sum256([]byte(cfg.Region + "\n" + endpoint + "\n" + job.Function + "\n" + job.Bucket))
		job.Checkpoint = filepath.Join(dir, "facevec", "backfill", hex.EncodeToString(id[:8])+".jsonl")
	default:
		job.Checkpoint = checkpoint
	}

	opts := []backfill.Option{backfill.WithBatchSize(batchSize), backfill.WithParallel(parallel), backfill.WithMaxAttempts(attempts)}
	var bar *progressbar.ProgressBar
	if stdio.StderrIsTerminal {
		opts = append(opts, backfill.WithProgress(func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stdio.Stderr),
					progressbar.OptionSetDescription("backfill"), progressbar.OptionShowCount(),
					progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
			}
			_ = bar.Set(done)
		}))
	}
	rep, err := backfill.Run(ctx, s3c, lc, job, opts...)
	if bar != nil {
		_ = bar.Finish()
	}
	// A run that failed before it invoked anything has nothing to report
	// beyond its error.
	if err == nil || rep.Interrupted || rep.Invocations > 0 {
		printBackfill(stdio, rep)
	}
	switch {
	case rep.Interrupted:
		fmt.Fprintln(stdio.Stderr, "backfill: interrupted; the same command resumes where this run stopped")
		return ExitError, nil
	case err != nil:
		return ExitError, err
	case len(rep.Failed) > 0:
		return ExitError, nil
	}
	return ExitOK, nil
}

func printBackfill(stdio IO, r *backfill.Report) {
	secs := r.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(r.Encoded+r.AlreadyEncoded+r.Skipped+len(r.Failed)) / secs
	}
	fmt.Fprintf(stdio.Stdout, "function:        %s\nsource:          s3://%s/%s\nresults:         s3://%s/%s%s/\n",
		r.Function, r.Bucket, r.Prefix, r.OutputBucket, r.OutputPrefix, r.Bucket)
	if r.Checkpoint != "" {
		fmt.Fprintf(stdio.Stdout, "checkpoint:      %s\n", r.Checkpoint)
	}
	fmt.Fprintf(stdio.Stdout, "listed:          %d\nresumed:         %d (done by an earlier run)\nencoded:         %d\nalready encoded: %d\nskipped:         %d\nfailed:          %d\ninvocations:     %d\ntime:            %.1fs (%.1f objects/s)\n",
		r.Listed, r.Resumed, r.Encoded, r.AlreadyEncoded, r.Skipped, len(r.Failed), r.Invocations, secs, rate)
	for _, f := range r.Failed {
		fmt.Fprintf(stdio.Stderr, "backfill: %s: %s: %s\n", f.Key, f.ResultCode, f.Result)
	}
}
