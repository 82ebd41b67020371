package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/schollz/progressbar/v3"

	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/function/vectorindex"
	"github.com/facevec/facevec/result"
)

// indexRun counts what `facevec index` did.
type indexRun struct {
	mu                   sync.Mutex
	photos, faces, stale int
	failed               []string
}

func runIndex(ctx context.Context, args []string, stdio IO) (int, error) {
	var vf vectorFlags
	fs := newFlags("index", "[flags]", stdio)
	vf.register(fs)
	bucket := fs.String("output-bucket", os.Getenv(handler.EnvOutputBucket), "bucket holding the results (env "+handler.EnvOutputBucket+")")
	prefix := fs.String("output-prefix", handler.DefaultOutputPrefix, "prefix of the result keys")
	workers := fs.Int("workers", 8, "results read and indexed in parallel")
	all := fs.Bool("all", false, "index every result, also those whose photo is gone or was replaced since")
	calibrate := fs.Bool("calibrate", false, "only measure whether the index's distance is euclidean or squared (two probe vectors, written and deleted) and print which")
	rest, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	if *calibrate && len(rest) == 0 {
		return runCalibrate(ctx, &vf, fs, stdio)
	}
	switch {
	case len(rest) > 0:
		return 0, usageErr(stdio, fs, "unexpected arguments %q", rest)
	case *bucket == "":
		return 0, usageErr(stdio, fs, "name the results' bucket: --output-bucket or %s", handler.EnvOutputBucket)
	case *workers < 1:
		return 0, usageErr(stdio, fs, "--workers %d: want 1 or more", *workers)
	}
	if msg := vf.validate(); msg != "" {
		return 0, usageErr(stdio, fs, "%s", msg)
	}
	ix, err := vf.open(ctx)
	if err != nil {
		return 0, err
	}
	s3c, err := handler.NewS3Client(ctx)
	if err != nil {
		return 0, err
	}
	keys, err := listResults(ctx, s3c, *bucket, *prefix)
	if err != nil {
		return 0, err
	}
	var bar *progressbar.ProgressBar
	if stdio.StderrIsTerminal {
		bar = progressbar.NewOptions(len(keys), progressbar.OptionSetWriter(stdio.Stderr),
			progressbar.OptionSetDescription("indexing"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	var b indexRun
	work := make(chan string)
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(func() {
			for k := range work {
				b.one(ctx, s3c, ix, *bucket, k, *all, stdio.Stderr)
				if bar != nil {
					_ = bar.Add(1)
				}
			}
		})
	}
	for _, k := range keys {
		if ctx.Err() != nil {
			break
		}
		work <- k
	}
	close(work)
	wg.Wait()
	fmt.Fprintf(stdio.Stdout, "indexed %d photos (%d faces) from s3://%s/%s into %s; %d skipped (photo gone or replaced), %d failed\n",
		b.photos, b.faces, *bucket, *prefix, ix, b.stale, len(b.failed))
	if err := ctx.Err(); err != nil {
		return ExitError, fmt.Errorf("interrupted: %w", err)
	}
	if len(b.failed) > 0 {
		return ExitError, nil
	}
	return ExitOK, nil
}

// listResults lists the result keys (".json") under prefix.
func listResults(ctx context.Context, s3c *s3.Client, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); strings.HasSuffix(k, ".json") {
				keys = append(keys, k)
			}
		}
	}
	return keys, nil
}

// one indexes one result. A result whose photo is gone or was replaced
// since is skipped (unless all): the function removed, or will replace,
// its faces, and indexing it would bring them back.
func (b *indexRun) one(ctx context.Context, s3c *s3.Client, ix *vectorindex.Index, bucket, key string, all bool, stderr io.Writer) {
	fail := func(err error) {
		b.mu.Lock()
		b.failed = append(b.failed, key)
		b.mu.Unlock()
		fmt.Fprintf(stderr, "s3://%s/%s: %v\n", bucket, key, err)
	}
	res, err := handler.ReadResult(ctx, s3c, bucket, key)
	if err != nil {
		fail(err)
		return
	}
	if !all {
		stale, err := photoStale(ctx, s3c, res.Source)
		if err != nil {
			fail(err)
			return
		}
		if stale {
			b.mu.Lock()
			b.stale++
			b.mu.Unlock()
			return
		}
	}
	if err := ix.Sync(ctx, res); err != nil {
		fail(err)
		return
	}
	b.mu.Lock()
	b.photos++
	b.faces += len(res.Faces)
	b.mu.Unlock()
}

// photoStale reports whether a result's photo is gone or was replaced
// since: S3 answers 404 (no such key) or 412 (If-Match: the result's ETag
// no longer holds), or the object has another ETag. Any other failure
// (throttling, 5xx, a dropped connection, once the client's own bounded
// retries are spent; a 403) says nothing about the photo: it is an
// error, so that the run reports it instead of skipping a photo that may
// well be there.
func photoStale(ctx context.Context, s3c *s3.Client, src result.Source) (bool, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key)}
	if src.ETag != "" {
		in.IfMatch = aws.String(`"` + src.ETag + `"`)
	}
	head, err := s3c.HeadObject(ctx, in)
	var resp *awshttp.ResponseError
	switch {
	case err == nil:
		return strings.Trim(aws.ToString(head.ETag), `"`) != src.ETag, nil
	case errors.As(err, &resp) && (resp.HTTPStatusCode() == http.StatusNotFound || resp.HTTPStatusCode() == http.StatusPreconditionFailed):
		return true, nil
	}
	return false, fmt.Errorf("cannot tell whether the photo s3://%s/%s is still there (use --all to index it regardless): %w", src.Bucket, src.Key, err)
}
