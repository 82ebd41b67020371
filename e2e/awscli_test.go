//go:build e2e

package e2e

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/localstack/provision"
	"github.com/facevec/facevec/result"
)

// defaultAWSCLI is Debian's awscli (v2). A bare `aws` on PATH may be an
// old shim from a Python version manager.
const defaultAWSCLI = "/usr/bin/aws"

// cliWait bounds one AWS CLI command (Python start-up included).
const cliWait = 90 * time.Second

// awsCLI runs the stock AWS CLI against an endpoint with test credentials
// and nothing from the developer's ~/.aws.
type awsCLI struct {
	bin, endpoint string
	env           []string
}

func newAWSCLI(t *testing.T, bin, endpoint, region string) *awsCLI {
	dir := t.TempDir()
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION="+region,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
	)
	return &awsCLI{bin: bin, endpoint: endpoint, env: env}
}

// run runs `aws --endpoint-url E args...` and returns stdout; a non-zero
// exit fails the test with stderr.
func (a *awsCLI) run(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := a.try(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (a *awsCLI) try(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(rootCtx, cliWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.bin, append([]string{"--endpoint-url", a.endpoint}, args...)...)
	cmd.Env = a.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("aws %s: %w\nstderr: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// json runs a command whose output is JSON and decodes it into v.
func (a *awsCLI) json(t *testing.T, v any, args ...string) {
	t.Helper()
	out := a.run(t, append(args, "--output", "json")...)
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestAWSCLI drives `facevec stack` (a real subprocess) with the stock AWS
// CLI: bucket and object commands including a multipart upload, the
// notification and function as provisioned, an upload that triggers the
// function, a direct invocation with a hand-made S3 event, and a clean stop
// on SIGINT that leaves no process behind.
func TestAWSCLI(t *testing.T) {
	awsBin := cmp.Or(strings.TrimSpace(os.Getenv(envAWSCLI)), defaultAWSCLI)
	if _, err := exec.LookPath(awsBin); err != nil {
		t.Skipf("AWS CLI %s not usable (%v); apt-get install awscli or set %s", awsBin, err, envAWSCLI)
	}
	cfg, err := loadSettings()
	if err != nil {
		t.Fatal(err)
	}
	golden, err := fixtures.LoadGolden(filepath.Join(cfg.fixturesDir, "golden", "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	bin := facevecBinary(t, cfg.root)
	in, out := "cli-in-"+cfg.suffix, "cli-out-"+cfg.suffix
	start := time.Now()
	sp := startStackProc(t, bin, "--addr", "127.0.0.1:0", "--input-bucket", in, "--output-bucket", out, "--zip", cfg.zip)
	endpoint := sp.field("endpoint")
	region := cmp.Or(sp.field("region"), "us-east-1")
	prefix := cmp.Or(sp.field("output prefix"), provision.DefaultOutputPrefix)
	fnARN := sp.field("function")
	fn := cmp.Or(fnARN[strings.LastIndexByte(fnARN, ':')+1:], "facevec")
	t.Logf("e2e: facevec stack (pid %d) up in %s at %s, function %s", sp.cmd.Process.Pid, time.Since(start).Round(time.Millisecond), endpoint, fn)
	aws := newAWSCLI(t, awsBin, endpoint, region)
	scratch := "cli-scratch-" + cfg.suffix

	t.Run("s3 mb cp ls", func(t *testing.T) {
		aws.run(t, "s3", "mb", "s3://"+scratch)
		dir := t.TempDir()
		small := []byte("hello from the e2e suite\n")
		big := make([]byte, 9<<20) // over the CLI's 8 MiB multipart threshold
		if _, err := rand.Read(big); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "small.txt"), small)
		writeFile(t, filepath.Join(dir, "big.bin"), big)
		aws.run(t, "s3", "cp", filepath.Join(dir, "small.txt"), "s3://"+scratch+"/docs/small file.txt")
		aws.run(t, "s3", "cp", filepath.Join(dir, "big.bin"), "s3://"+scratch+"/blobs/big.bin")

		ls := string(aws.run(t, "s3", "ls", "--recursive", "s3://"+scratch))
		sizes := lsSizes(ls)
		if sizes["docs/small file.txt"] != int64(len(small)) || sizes["blobs/big.bin"] != int64(len(big)) || len(sizes) != 2 {
			t.Errorf("s3 ls --recursive:\n%s\nwant docs/small file.txt (%d B) and blobs/big.bin (%d B) only", ls, len(small), len(big))
		}
		buckets := string(aws.run(t, "s3", "ls"))
		for _, b := range []string{in, out, scratch} {
			if !strings.Contains(buckets, " "+b+"\n") {
				t.Errorf("s3 ls does not list bucket %s:\n%s", b, buckets)
			}
		}

		if got := aws.run(t, "s3", "cp", "s3://"+scratch+"/docs/small file.txt", "-"); !bytes.Equal(got, small) {
			t.Errorf("small file read back as %q, want %q", got, small)
		}
		back := filepath.Join(dir, "big.back")
		aws.run(t, "s3", "cp", "s3://"+scratch+"/blobs/big.bin", back)
		if got, err := os.ReadFile(back); err != nil || !bytes.Equal(got, big) {
			t.Errorf("big.bin read back differs (%d bytes, err %v)", len(got), err)
		}
	})

	// S3 gives a multipart object the ETag md5(part md5s)-<parts>, not the
	// MD5 of the whole. gofakes3 stores the whole-body MD5 and has no way to
	// carry a "-N" ETag, so the embedded backend differs here (documented in
	// the README); the length and bytes must still be right. 9 MiB in the
	// CLI's 8 MiB parts is two parts.
	t.Run("multipart ETag", func(t *testing.T) {
		var head struct {
			ETag          string
			ContentLength int64
		}
		aws.json(t, &head, "s3api", "head-object", "--bucket", scratch, "--key", "blobs/big.bin")
		if head.ContentLength != 9<<20 {
			t.Errorf("blobs/big.bin: length %d, want %d", head.ContentLength, 9<<20)
		}
		if !strings.HasSuffix(trimETag(head.ETag), "-2") {
			t.Logf("blobs/big.bin: ETag %s is the whole-body MD5, not a multipart ETag (…-2): a known gofakes3 difference", head.ETag)
		}
	})

	var conf struct {
		Configuration struct {
			FunctionName, FunctionArn, Runtime, Handler, State string
			Environment                                        struct{ Variables map[string]string }
		}
	}
	t.Run("lambda get-function", func(t *testing.T) {
		aws.json(t, &conf, "lambda", "get-function", "--function-name", fn)
		c := conf.Configuration
		if c.FunctionName != fn || c.Runtime != provision.Runtime || c.Handler != provision.Handler {
			t.Errorf("function %q runtime %q handler %q; want %q %q %q", c.FunctionName, c.Runtime, c.Handler, fn, provision.Runtime, provision.Handler)
		}
		if c.State != "" && c.State != "Active" {
			t.Errorf("function state %q, want Active", c.State)
		}
		if v := c.Environment.Variables; v["OUTPUT_BUCKET"] != out || v["OUTPUT_PREFIX"] != prefix {
			t.Errorf("environment %v; want OUTPUT_BUCKET=%s OUTPUT_PREFIX=%s", v, out, prefix)
		}
	})

	t.Run("s3api get-bucket-notification-configuration", func(t *testing.T) {
		var nc struct {
			LambdaFunctionConfigurations []struct {
				ID                string `json:"Id"`
				LambdaFunctionArn string
				Events            []string
				Filter            struct {
					Key struct {
						FilterRules []struct{ Name, Value string }
					}
				}
			}
		}
		aws.json(t, &nc, "s3api", "get-bucket-notification-configuration", "--bucket", in)
		var suffixes []string
		for _, c := range nc.LambdaFunctionConfigurations {
			if c.LambdaFunctionArn != conf.Configuration.FunctionArn {
				t.Errorf("configuration %s targets %s, want %s", c.ID, c.LambdaFunctionArn, conf.Configuration.FunctionArn)
			}
			if !slices.ContainsFunc(c.Events, func(e string) bool { return strings.HasPrefix(e, "s3:ObjectCreated:") }) {
				t.Errorf("configuration %s fires on %q, want s3:ObjectCreated:*", c.ID, c.Events)
			}
			for _, r := range c.Filter.Key.FilterRules {
				if strings.EqualFold(r.Name, "suffix") {
					suffixes = append(suffixes, r.Value)
				}
			}
		}
		slices.Sort(suffixes)
		want := slices.Sorted(slices.Values(provision.DefaultSuffixes))
		if !slices.Equal(suffixes, want) {
			t.Errorf("notification suffixes %q, want %q", suffixes, want)
		}
	})

	t.Run("upload triggers the function", func(t *testing.T) {
		fixture := "people/grace hopper.jpg"
		key := "cli/" + fixture
		aws.run(t, "s3", "cp", filepath.Join(cfg.fixturesDir, filepath.FromSlash(fixture)), "s3://"+in+"/"+key)
		var src struct{ ETag string }
		aws.json(t, &src, "s3api", "head-object", "--bucket", in, "--key", key)
		rkey, _ := result.Key(prefix, in, key)
		if err := aws.poll(rootCtx, stackUpWait, "s3api", "head-object", "--bucket", out, "--key", rkey); err != nil {
			t.Fatalf("no result %s: %v\nstack stderr:\n%s", rkey, err, sp.stderr)
		}
		r, err := decodeResult(aws.run(t, "s3", "cp", "s3://"+out+"/"+rkey, "-"))
		if err != nil {
			t.Fatalf("%s: %v", rkey, err)
		}
		if r.Source.Bucket != in || r.Source.Key != key || r.Source.ETag != trimETag(src.ETag) || r.Error != nil {
			t.Errorf("result source %+v error %v; want %s/%s etag %s, no error", r.Source, r.Error, in, key, trimETag(src.ETag))
		}
		if err := fixtures.CompareGolden(r, golden[fixture], boxTol, descTol); err != nil {
			t.Errorf("differs from golden %q: %v", fixture, err)
		}
		t.Logf("e2e: aws s3 cp %q → %d face(s), box %+v", key, len(r.Faces), firstBox(r))
	})

	t.Run("lambda invoke", func(t *testing.T) {
		fixture := "group/équipe 4.jpg"
		key := "photos/" + path.Base(fixture)
		aws.run(t, "s3", "cp", filepath.Join(cfg.fixturesDir, filepath.FromSlash(fixture)), "s3://"+scratch+"/"+key)
		var head struct {
			ETag          string
			ContentLength int64
		}
		aws.json(t, &head, "s3api", "head-object", "--bucket", scratch, "--key", key)
		dir := t.TempDir()
		event, resp := filepath.Join(dir, "event.json"), filepath.Join(dir, "response.json")
		writeFile(t, event, s3Event(region, eventObject{Bucket: scratch, Key: key, Size: head.ContentLength, ETag: trimETag(head.ETag)}))
		var inv struct {
			StatusCode    int
			FunctionError string
		}
		aws.json(t, &inv, "lambda", "invoke", "--function-name", fn, "--payload", "fileb://"+event, resp)
		body, err := os.ReadFile(resp)
		if err != nil {
			t.Fatal(err)
		}
		if inv.StatusCode != 200 || inv.FunctionError != "" {
			t.Fatalf("invoke: status %d, function error %q: %s", inv.StatusCode, inv.FunctionError, body)
		}
		var ir invokeResponse
		if err := json.Unmarshal(body, &ir); err != nil {
			t.Fatalf("response %s: %v", body, err)
		}
		rkey, _ := result.Key(prefix, scratch, key)
		want := golden[fixture]
		if len(ir.Results) != 1 || len(ir.Failed) != 0 {
			t.Fatalf("response %s; want one result, nothing failed", body)
		}
		if s := ir.Results[0]; s.Bucket != scratch || s.Key != key || s.ResultBucket != out || s.ResultKey != rkey ||
			s.Faces != len(want.Faces) || s.Error != nil || s.Skipped != "" || s.ETag != trimETag(head.ETag) {
			t.Errorf("summary %+v; want %s/%s → %s/%s with %d faces", s, scratch, key, out, rkey, len(want.Faces))
		}
		r, err := decodeResult(aws.run(t, "s3", "cp", "s3://"+out+"/"+rkey, "-"))
		if err != nil {
			t.Fatalf("%s: %v", rkey, err)
		}
		if err := fixtures.CompareGolden(r, want, boxTol, descTol); err != nil {
			t.Errorf("differs from golden %q: %v", fixture, err)
		}
		t.Logf("e2e: aws lambda invoke %q → %s (%d faces)", key, body, len(r.Faces))
	})

	t.Run("SIGINT stops cleanly", func(t *testing.T) {
		kids, err := descendants(sp.cmd.Process.Pid)
		if err != nil {
			t.Skipf("cannot list processes: %v", err)
		}
		if len(kids) == 0 {
			t.Fatalf("facevec stack has no child processes although the function just ran")
		}
		t.Logf("e2e: facevec stack children before SIGINT: %v", kids)
		if err := sp.stop(); err != nil {
			t.Fatalf("facevec stack: %v", err)
		}
		if code := sp.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("exit status %d, want 0", code)
		}
		// Children are killed before the stack exits, but a reparented
		// one could linger for a moment before the kernel reaps it.
		deadline := time.Now().Add(5 * time.Second)
		var left []proc
		for {
			left = left[:0]
			for _, k := range kids {
				if k.alive() {
					left = append(left, k)
				}
			}
			if len(left) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(left) > 0 {
			t.Errorf("processes outlived facevec stack: %v", left)
		}
		if resp, err := http.Get(endpoint + "/"); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers after the stack stopped", endpoint)
		}
	})
}

// poll runs an AWS CLI command until it succeeds, once a second, within wait.
func (a *awsCLI) poll(ctx context.Context, wait time.Duration, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		_, err := a.try(args...)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %v", ctx.Err(), err)
		case <-time.After(time.Second):
		}
	}
}

// lsLine is one line of `aws s3 ls --recursive`: date, time, size, key
// (keys may hold spaces).
var lsLine = regexp.MustCompile(`^\S+\s+\S+\s+(\d+) (.+)$`)

// lsSizes maps the keys of an `aws s3 ls --recursive` listing to sizes.
func lsSizes(ls string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(ls), "\n") {
		m := lsLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err == nil {
			out[m[2]] = n
		}
	}
	return out
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func firstBox(r *result.Result) any {
	if len(r.Faces) == 0 {
		return "none"
	}
	return r.Faces[0].Box
}
