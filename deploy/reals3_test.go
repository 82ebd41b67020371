package deploy

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facevec/facevec/internal/lambdazip"
	"github.com/facevec/facevec/localstack/embedded"
)

// These tests send deploy.sh's S3 calls, and one `aws cloudformation
// package`, through the real AWS CLI to a real S3 endpoint: the embedded
// stack's. CloudFormation, which that stack does not serve, stays with
// testdata/fake-aws (FAKE_REAL_AWS hands it the S3 calls).

// realAWS is Debian's AWS CLI v2 (make deps installs it); a bare "aws" on
// PATH may be an old pyenv shim.
const realAWS = "/usr/bin/aws"

// deadProxy is where every HTTPS request goes, that is every request to
// AWS, which only a call that ignores the (plain HTTP) endpoint makes:
// nothing listens there, so such a call fails at once, here, instead of
// reaching AWS.
const deadProxy = "http://127.0.0.1:9"

// realS3 is the embedded stack for one test and the environment that
// points the real CLI at it.
type realS3 struct {
	endpoint string
	env      map[string]string
}

func startRealS3(t *testing.T) *realS3 {
	t.Helper()
	if _, err := os.Stat(realAWS); err != nil {
		t.Skipf("no AWS CLI at %s (make deps installs it): %v", realAWS, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := embedded.Start(ctx, embedded.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("start the embedded stack: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close the embedded stack: %v", err)
		}
	})
	return &realS3{endpoint: srv.Endpoint(), env: map[string]string{
		"FAKE_REAL_AWS":             realAWS,
		"AWS_ENDPOINT_URL":          srv.Endpoint(),
		"AWS_REGION":                srv.Region(),
		"AWS_ACCESS_KEY_ID":         "test",
		"AWS_SECRET_ACCESS_KEY":     "test",
		"AWS_EC2_METADATA_DISABLED": "true",
		"HTTPS_PROXY":               deadProxy,
	}}
}

// cli runs the real CLI against the endpoint with extra environment, and
// returns stdout, stderr and the error.
func (s *realS3) cli(t *testing.T, extra map[string]string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, realAWS, args...)
	home := t.TempDir()
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none")}
	for _, env := range []map[string]string{s.env, extra} {
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// object downloads s3://bucket/key through the real CLI.
func (s *realS3) object(t *testing.T, bucket, key string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "object")
	if _, stderr, err := s.cli(t, nil, "--endpoint-url", s.endpoint, "s3api", "get-object", "--bucket", bucket, "--key", key, p); err != nil {
		t.Fatalf("get s3://%s/%s: %v\n%s", bucket, key, err, stderr)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// deployedZip is the package deploy.sh uploads: the real one (FACEVEC_ZIP,
// or dist/function.zip after make package) when there is one, else a
// small package that passes the same checks.
func deployedZip(t *testing.T) (path string, real bool) {
	t.Helper()
	for _, p := range []string{os.Getenv("FACEVEC_ZIP"), filepath.Join("..", "dist", "function.zip")} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			abs, err := filepath.Abs(p)
			if err != nil {
				t.Fatal(err)
			}
			return abs, true
		}
	}
	return writeZip(t), false
}

// TestDeployThroughTheEndpoint runs deploy.sh with AWS_ENDPOINT_URL set:
// every S3 call (the artifact bucket, the zip) must reach that endpoint
// (issue #18: `aws cloudformation package` ignored it and went to AWS).
// What arrived there is the package, and it is one Lambda can run.
func TestDeployThroughTheEndpoint(t *testing.T) {
	s3 := startRealS3(t)
	zip, real := deployedZip(t)
	t.Logf("deploying %s (the real package: %v)", zip, real)
	f := newFakeAWS(t)
	f.stack(stackOutputs(s3.env["AWS_REGION"]), false)
	env := map[string]string{"SMOKE": "0", "FUNCTION_ZIP": zip}
	for k, v := range s3.env {
		env[k] = v
	}
	r := f.run("deploy.sh", env)
	if r.code != 0 {
		t.Fatalf("deploy.sh exit %d", r.code)
	}
	codeBucket := "facevec-" + fakeAccount + "-" + s3.env["AWS_REGION"] + "-code"
	codeKey := "facevec/" + md5Hex(t, zip)
	checkDeployedCode(t, f.read("deployed-template.yaml"), codeBucket, codeKey)
	uploaded := s3.object(t, codeBucket, codeKey)
	if !bytes.Equal(uploaded, []byte(mustRead(t, zip))) {
		t.Fatalf("s3://%s/%s holds %d bytes, not the %s deploy.sh was given", codeBucket, codeKey, len(uploaded), zip)
	}
	if err := lambdazip.Check(bytes.NewReader(uploaded), int64(len(uploaded))); err != nil {
		t.Errorf("the uploaded package: %v", err)
	}
}

// s3RuleSet points the CLI's S3 client at endpoint, whatever the client
// was built with: an endpoint rule set in AWS_DATA_PATH, which botocore
// reads before its own. The only way to send `aws cloudformation package`
// (CLI 2.9) anywhere but AWS.
func s3RuleSet(t *testing.T, endpoint string) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	models := filepath.Join(dir, "s3", "2006-03-01")
	if err := os.MkdirAll(models, 0o755); err != nil {
		t.Fatal(err)
	}
	auth := `"properties": {"authSchemes": [{"name": "sigv4", "signingName": "s3", "signingRegion": "us-east-1", "disableDoubleEncoding": true}]}, "headers": {}`
	rules := `{"version": "1.0",
 "parameters": {"Bucket": {"required": false, "type": "String"}, "Region": {"builtIn": "AWS::Region", "required": false, "type": "String"}},
 "rules": [
  {"conditions": [{"fn": "isSet", "argv": [{"ref": "Bucket"}]}], "type": "endpoint", "endpoint": {"url": "` + u.String() + `/{Bucket}", ` + auth + `}},
  {"conditions": [], "type": "endpoint", "endpoint": {"url": "` + u.String() + `", ` + auth + `}}]}`
	if err := os.WriteFile(filepath.Join(models, "endpoint-rule-set-1.json"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPackageMatchesTheRealCLI keeps deploy.sh's stand-in for
// `aws cloudformation package` (and Package, the e2e test's) honest: the
// real command, made to reach the same S3, uploads the same zip to the
// same key and writes the same template.
func TestPackageMatchesTheRealCLI(t *testing.T) {
	s3 := startRealS3(t)
	zip := writeZip(t) // the template's rewrite is the point here, not the zip's size
	const bucket = "facevec-package-test"
	if _, stderr, err := s3.cli(t, nil, "--endpoint-url", s3.endpoint, "s3api", "create-bucket", "--bucket", bucket); err != nil {
		t.Fatalf("create bucket: %v\n%s", err, stderr)
	}
	// The layout package resolves Code in: deploy/template.yaml and the
	// zip at ../dist/function.zip.
	src := t.TempDir()
	for _, d := range []string{"deploy", "dist"} {
		if err := os.Mkdir(filepath.Join(src, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range templateFiles {
		if err := os.WriteFile(filepath.Join(src, "deploy", f), []byte(mustRead(t, f)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(zip, filepath.Join(src, "dist", "function.zip")); err != nil {
		t.Fatal(err)
	}
	pkg := []string{"--endpoint-url", s3.endpoint, "cloudformation", "package",
		"--template-file", filepath.Join(src, "deploy", "template.yaml"),
		"--s3-bucket", bucket, "--s3-prefix", "facevec", "--output-template-file", filepath.Join(src, "packaged.yaml")}

	// As the CLI stands (2.9), --endpoint-url does not reach package's S3
	// client: the upload goes to AWS, here to the dead proxy.
	if _, stderr, err := s3.cli(t, nil, pkg...); err == nil {
		t.Logf("this CLI's package honours --endpoint-url: deploy.sh's own upload is no longer needed for LocalStack")
	} else {
		t.Logf("package with --endpoint-url only: %v: %s", err, strings.TrimSpace(stderr))
	}

	if _, stderr, err := s3.cli(t, map[string]string{"AWS_DATA_PATH": s3RuleSet(t, s3.endpoint)}, pkg...); err != nil {
		t.Fatalf("aws cloudformation package: %v\n%s", err, stderr)
	}
	key := "facevec/" + md5Hex(t, zip)
	if got := s3.object(t, bucket, key); !bytes.Equal(got, []byte(mustRead(t, zip))) {
		t.Fatalf("package uploaded %d bytes to s3://%s/%s, not the zip", len(got), bucket, key)
	}
	packaged, err := os.ReadFile(filepath.Join(src, "packaged.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// deploy.sh's template, from the fake, and Package's are the same.
	checkDeployedCode(t, string(packaged), bucket, key)
	nested := at(mustParse(t, packaged), "Resources", idFaceIndexStack, "Properties", "TemplateURL")
	ours, err := Package(readTemplate(t), bucket, key, WithTemplateURL("vectors.yaml", fmt.Sprint(nested)))
	if err != nil {
		t.Fatal(err)
	}
	checkDeployedCode(t, string(ours), bucket, key)
}

func mustParse(t *testing.T, data []byte) map[string]any {
	t.Helper()
	tpl, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}
