package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/result"
)

// runDemo is `make run`: the embedded stack up, the function deployed,
// every fixture (or every image under --images) uploaded through the S3
// API, and a readable summary of each result object the function wrote.
func runDemo(ctx context.Context, args []string, stdio IO) (int, error) {
	var f stackFlags
	fs := newFlags("demo", "[--images DIR] [flags]", stdio)
	f.register(fs, "127.0.0.1:0")
	images := fs.String("images", "", "upload the images under DIR instead of the fixtures")
	wait := fs.Duration("timeout", 5*time.Minute, "give up waiting for results after this long")
	rest, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	if len(rest) > 0 {
		return 0, usageErr(stdio, fs, "unexpected arguments %q", rest)
	}
	if err := f.check(stdio, fs); err != nil {
		return 0, err
	}
	uploads, err := demoUploads(*images)
	if err != nil {
		return 0, err
	}
	if len(uploads) == 0 {
		return 0, fmt.Errorf("no images found under %s", *images)
	}

	start := time.Now()
	st, out, err := f.up(ctx, stdio)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	fmt.Fprintf(stdio.Stdout, "stack: %s (embedded), function %s deployed in %.1fs\n", st.Endpoint(), out.FunctionName, time.Since(start).Seconds())
	fmt.Fprintf(stdio.Stdout, "uploading %d images to s3://%s/ ...\n\n", len(uploads), out.InputBucket)

	s3c := st.S3()
	sent := make(map[string]time.Time, len(uploads))
	for _, u := range uploads {
		data, err := os.ReadFile(u.path)
		if err != nil {
			return 0, err
		}
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(out.InputBucket), Key: aws.String(u.key), Body: bytes.NewReader(data)}); err != nil {
			return 0, fmt.Errorf("upload %s: %w", u.key, err)
		}
		sent[u.key] = time.Now()
	}

	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	var faces, failed int
	spec := f.spec()
	for _, u := range uploads {
		if !spec.Triggers(u.key) {
			fmt.Fprintf(stdio.Stdout, "%s  not an image suffix: the bucket notification does not send it to the function\n", u.key)
			continue
		}
		resKey, _ := result.Key(out.OutputPrefix, out.InputBucket, u.key)
		r, seen, err := waitResult(ctx, s3c, out.OutputBucket, resKey)
		if err != nil {
			fmt.Fprintf(stdio.Stdout, "%s: no result: %v\n", u.key, err)
			if logs := st.FunctionLogs(out.FunctionName); logs != "" {
				fmt.Fprintf(stdio.Stderr, "function logs:\n%s\n", tail(logs, 40))
			}
			return ExitError, fmt.Errorf("result for %s did not appear", u.key)
		}
		printSummary(stdio.Stdout, u.key, out.OutputBucket, resKey, r, seen.Sub(sent[u.key]))
		faces += len(r.Faces)
		if r.Error != nil {
			failed++
		}
	}
	fmt.Fprintf(stdio.Stdout, "\n%d images, %d faces, %d error results (expected for the files under bad/), %.1fs in all\n",
		len(uploads), faces, failed, time.Since(start).Seconds())
	return ExitOK, nil
}

type upload struct{ key, path string }

func demoUploads(dir string) ([]upload, error) {
	if dir != "" {
		var out []upload
		for _, p := range expandPaths([]string{dir}) {
			rel, err := filepath.Rel(dir, p)
			if err != nil || rel == "." {
				rel = filepath.Base(p)
			}
			out = append(out, upload{key: filepath.ToSlash(rel), path: p})
		}
		return out, nil
	}
	fdir, err := fixtures.Dir()
	if err != nil {
		return nil, err
	}
	entries, err := fixtures.Load(fdir)
	if err != nil {
		return nil, err
	}
	out := make([]upload, len(entries))
	for i, e := range entries {
		out[i] = upload{key: e.Path, path: e.File(fdir)}
	}
	return out, nil
}

// waitResult polls for a result object until it appears or ctx ends.
func waitResult(ctx context.Context, s3c *s3.Client, bucket, key string) (*result.Result, time.Time, error) {
	delay := 50 * time.Millisecond
	for {
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err == nil {
			seen := time.Now()
			body, rerr := io.ReadAll(obj.Body)
			obj.Body.Close()
			if rerr != nil {
				return nil, seen, rerr
			}
			var r result.Result
			if err := json.Unmarshal(body, &r); err != nil {
				return nil, seen, fmt.Errorf("result is not JSON: %w", err)
			}
			return &r, seen, nil
		}
		select {
		case <-ctx.Done():
			return nil, time.Time{}, errors.Join(ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

func printSummary(w io.Writer, key, bucket, resKey string, r *result.Result, latency time.Duration) {
	status := fmt.Sprintf("[%dx%d %s]  %d face(s)", r.Image.Width, r.Image.Height, r.Image.Format, len(r.Faces))
	if r.Error != nil {
		status = fmt.Sprintf("error %s: %s", r.Error.Code, r.Error.Message)
	}
	fmt.Fprintf(w, "%s  %s  encode %.0f ms, upload→result %.0f ms\n    → s3://%s/%s\n",
		key, status, r.TimingsMS.Total, float64(latency.Microseconds())/1000, bucket, resKey)
	for i, fc := range r.Faces {
		n := min(4, len(fc.Descriptor))
		vals := make([]string, n)
		for k := 0; k < n; k++ {
			vals[k] = fmt.Sprintf("%+.4f", fc.Descriptor[k])
		}
		fmt.Fprintf(w, "    face %d: box (%d,%d)-(%d,%d) confidence %.2f vector [%s, …] (%d values)\n",
			i+1, fc.Box.Left, fc.Box.Top, fc.Box.Right, fc.Box.Bottom, fc.Confidence, strings.Join(vals, ", "), len(fc.Descriptor))
	}
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
