//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/internal/backfill"
	"github.com/facevec/facevec/localstack"
	"github.com/facevec/facevec/localstack/provision"
)

// backfillObjects is how many photos are in the bucket before the function
// is deployed; small synthetic images keep the test cheap.
const backfillObjects = 1000

// backfillKey names the i-th object; some keys need URL-encoding in a
// Batch Operations task, as real photo names do.
func backfillKey(i int) string {
	if i%100 == 7 {
		return fmt.Sprintf("old/été %04d.png", i)
	}
	return fmt.Sprintf("old/photo-%04d.png", i)
}

// syntheticPNG is a small image unique to i (so every object has its own
// ETag), with no face in it.
func syntheticPNG(i int) []byte {
	img := image.NewGray(image.Rect(0, 0, 48, 40))
	for p := range img.Pix {
		img.Pix[p] = uint8(p*7 + i*13 + (i>>8)*31)
	}
	img.SetGray(i%48, 0, color.Gray{Y: uint8(i)})
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// backfillStack is a deployment whose input bucket held backfillObjects
// photos before the function and its notifications existed.
type backfillStack struct {
	stack *localstack.Stack
	spec  provision.Spec
	out   *provision.Outputs
	log   *recorder
}

var (
	bfOnce  sync.Once
	bfStack *backfillStack
	bfErr   error
)

func getBackfillStack(t *testing.T) *backfillStack {
	t.Helper()
	bfOnce.Do(func() { bfStack, bfErr = setUpBackfill(rootCtx) })
	if bfErr != nil {
		t.Fatalf("backfill set-up: %v", bfErr)
	}
	return bfStack
}

func setUpBackfill(ctx context.Context) (*backfillStack, error) {
	cfg, err := loadSettings()
	if err != nil {
		return nil, err
	}
	b := &backfillStack{log: newRecorder(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}))}
	b.spec = provision.Spec{
		InputBucket:  "facevec-e2e-bf-in-" + cfg.suffix,
		OutputBucket: "facevec-e2e-bf-out-" + cfg.suffix,
		FunctionName: "facevec-e2e-bf-" + cfg.suffix,
		Env:          map[string]string{"DETECTOR": "hog"},
		MemoryMB:     2048,
		TimeoutS:     120,
	}
	fill := func(st *localstack.Stack) error {
		if _, err := st.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b.spec.InputBucket)}); err != nil {
			return fmt.Errorf("create %s: %w", b.spec.InputBucket, err)
		}
		sem := make(chan struct{}, 8)
		errs := make(chan error, backfillObjects)
		var wg sync.WaitGroup
		for i := range backfillObjects {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if _, err := putBytes(ctx, st.S3(), b.spec.InputBucket, backfillKey(i), syntheticPNG(i)); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	b.stack, b.out, err = deploy(ctx, cfg, b.spec, maxConcurrency, slog.New(b.log), fill)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// TestBackfill: 1,000 photos already in the bucket when the function is
// deployed get one result each, exactly once, through an interrupted run
// and its resumption; a run without the checkpoint finds everything done
// and writes nothing.
func TestBackfill(t *testing.T) {
	b := getBackfillStack(t)
	ctx := rootCtx
	job := backfill.Job{
		Bucket: b.out.InputBucket, Prefix: "old/", Function: b.spec.FunctionName,
		Suffixes:   provision.DefaultSuffixes,
		Checkpoint: filepath.Join(t.TempDir(), "checkpoint.jsonl"),
	}
	run := func(ctx context.Context, job backfill.Job, opts ...backfill.Option) (*backfill.Report, error) {
		rep, err := backfill.Run(ctx, b.stack.S3(), b.stack.Lambda(), job, opts...)
		if rep != nil {
			t.Logf("e2e: backfill: listed %d, resumed %d, encoded %d, already encoded %d, skipped %d, failed %d, %d invocations in %s (%.0f objects/s)",
				rep.Listed, rep.Resumed, rep.Encoded, rep.AlreadyEncoded, rep.Skipped, len(rep.Failed), rep.Invocations,
				rep.Duration.Round(1e6), float64(rep.Encoded+rep.AlreadyEncoded+rep.Skipped+len(rep.Failed))/rep.Duration.Seconds())
			for _, f := range rep.Failed {
				t.Errorf("%s: %s: %s", f.Key, f.ResultCode, f.Result)
			}
		}
		return rep, err
	}

	// 1. Interrupted (as by Ctrl-C) once 300 objects are done.
	ictx, interrupt := context.WithCancel(ctx)
	defer interrupt()
	first, err := run(ictx, job, backfill.WithProgress(func(done, _ int) {
		if done >= 300 {
			interrupt()
		}
	}))
	if !errors.Is(err, context.Canceled) || !first.Interrupted {
		t.Fatalf("interrupted run: error %v, interrupted %v; want context.Canceled", err, first.Interrupted)
	}
	if first.Listed != backfillObjects || first.Encoded < 300 || first.Encoded >= backfillObjects || first.AlreadyEncoded != 0 {
		t.Fatalf("interrupted run: listed %d, encoded %d, already %d; want %d listed, 300 ≤ encoded < %d, none already",
			first.Listed, first.Encoded, first.AlreadyEncoded, backfillObjects, backfillObjects)
	}

	// 2. Resumed: only what the first run did not finish is sent.
	second, err := run(ctx, job)
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if second.Resumed != first.Encoded || first.Encoded+second.Encoded != backfillObjects || second.AlreadyEncoded != 0 {
		t.Errorf("resumed run: resumed %d, encoded %d, already %d; want %d resumed and %d encoded, none already",
			second.Resumed, second.Encoded, second.AlreadyEncoded, first.Encoded, backfillObjects-first.Encoded)
	}

	// Exactly one result per photo, each written once.
	prefix := b.out.OutputPrefix + b.out.InputBucket + "/old/"
	before := resultVersions(t, b.stack.S3(), b.out.OutputBucket, prefix)
	if len(before) != backfillObjects {
		t.Errorf("%d results under s3://%s/%s; want %d", len(before), b.out.OutputBucket, prefix, backfillObjects)
	}
	for _, i := range []int{0, 7, 999} {
		data, _, err := getObject(ctx, b.stack.S3(), b.out.OutputBucket, prefix+strings.TrimPrefix(backfillKey(i), "old/")+".json")
		if err != nil {
			t.Errorf("result of %s: %v", backfillKey(i), err)
			continue
		}
		r, err := decodeResult(data)
		if err != nil || r.Error != nil || r.Source.Key != backfillKey(i) || r.Image.Width != 48 || len(r.Faces) != 0 {
			t.Errorf("result of %s: %+v (%v); want a 48 px image with no face and no error", backfillKey(i), r, err)
		}
	}
	// The function's own account (its log, kept up to 1 MiB, holds both
	// runs' lines): every key written, none twice. Only the embedded backend
	// keeps a function's whole log; elsewhere FunctionLogs is CloudWatch Logs
	// or, where there is none (facevec/stack), the container log's last
	// 256 KiB, which cannot hold 1,000 keys. There the results' ETags and
	// the third run below (nothing changes) are the proof.
	if b.stack.Backend() != localstack.BackendEmbedded {
		t.Logf("e2e: per-key write count skipped on the %s backend (its function log is a tail)", b.stack.Backend())
	} else if logs := b.stack.FunctionLogs(b.spec.FunctionName); logs != "" {
		written := map[string]int{}
		for _, l := range functionLogLines(logs) {
			if (l.Msg == "result written" || l.Msg == "error result written") && strings.HasPrefix(l.Key, "old/") {
				written[l.Key]++
			}
		}
		twice := 0
		for _, n := range written {
			if n > 1 {
				twice++
			}
		}
		if len(written) != backfillObjects || twice > 0 {
			t.Errorf("the function logged results written for %d keys, %d of them more than once; want %d, each once", len(written), twice, backfillObjects)
		}
	}

	// 3. Without the checkpoint: the function's idempotency answers, and
	// not one result object changes.
	fresh := job
	fresh.Checkpoint = filepath.Join(t.TempDir(), "other.jsonl")
	third, err := run(ctx, fresh, backfill.WithBatchSize(25))
	if err != nil {
		t.Fatalf("run without checkpoint: %v", err)
	}
	if third.Encoded != 0 || third.AlreadyEncoded != backfillObjects {
		t.Errorf("run without checkpoint: encoded %d, already %d; want 0 and %d", third.Encoded, third.AlreadyEncoded, backfillObjects)
	}
	after := resultVersions(t, b.stack.S3(), b.out.OutputBucket, prefix)
	changed := 0
	for k, v := range before {
		if after[k] != v {
			changed++
		}
	}
	if changed > 0 || len(after) != len(before) {
		t.Errorf("the run without checkpoint rewrote %d results (%d before, %d after)", changed, len(before), len(after))
	}
}

// resultVersions maps each key under prefix to its ETag and modification
// time: a rewrite changes one or the other.
func resultVersions(t *testing.T, c *s3.Client, bucket, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(rootCtx)
		if err != nil {
			t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = aws.ToString(o.ETag) + " " + aws.ToTime(o.LastModified).String()
		}
	}
	return out
}
