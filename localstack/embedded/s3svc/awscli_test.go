package s3svc

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// awsCLI is Debian's AWS CLI v2. A bare "aws" on PATH may be an old pyenv
// shim, so only this path is used.
const awsCLI = "/usr/bin/aws"

// cli runs the AWS CLI against endpoint with throwaway credentials and no
// user configuration, and returns stdout.
func cli(t *testing.T, endpoint string, args ...string) string {
	t.Helper()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsCLI, append([]string{"--endpoint-url", endpoint, "--no-cli-pager", "--output", "json"}, args...)...)
	cmd.Env = []string{
		"HOME=" + home,
		"PATH=/usr/bin:/bin",
		"AWS_ACCESS_KEY_ID=" + testAKID,
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func TestAWSCLI(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skipf("no AWS CLI at %s", awsCLI)
	}
	if testing.Short() {
		t.Skip("starts the AWS CLI several times")
	}
	h := newHarness(t)
	cli(t, h.url, "s3", "mb", "s3://cli-bucket")

	// Notification configuration round trip through s3api.
	cfg := `{"LambdaFunctionConfigurations":[{"Id":"cli","LambdaFunctionArn":"` + testARN + `",` +
		`"Events":["s3:ObjectCreated:*"],"Filter":{"Key":{"FilterRules":[{"Name":"prefix","Value":"up/"}]}}}]}`
	cli(t, h.url, "s3api", "put-bucket-notification-configuration", "--bucket", "cli-bucket", "--notification-configuration", cfg)
	var got struct {
		LambdaFunctionConfigurations []struct {
			Id, LambdaFunctionArn string
			Events                []string
			Filter                struct {
				Key struct {
					FilterRules []struct{ Name, Value string }
				}
			}
		}
	}
	out := cli(t, h.url, "s3api", "get-bucket-notification-configuration", "--bucket", "cli-bucket")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("get-bucket-notification-configuration output: %v\n%s", err, out)
	}
	if c := got.LambdaFunctionConfigurations; len(c) != 1 || c[0].Id != "cli" || c[0].LambdaFunctionArn != testARN ||
		len(c[0].Events) != 1 || c[0].Events[0] != "s3:ObjectCreated:*" || len(c[0].Filter.Key.FilterRules) != 1 ||
		c[0].Filter.Key.FilterRules[0].Name != "Prefix" || c[0].Filter.Key.FilterRules[0].Value != "up/" {
		t.Fatalf("configuration read back = %+v", got)
	}

	dir := t.TempDir()
	small := filepath.Join(dir, "small file.txt")
	must(t, os.WriteFile(small, []byte("hello from the CLI"), 0o644))
	big := filepath.Join(dir, "big.bin")
	bigData := bytes.Repeat([]byte("0123456789abcdef"), 20<<20/16) // 20 MiB: multipart for the CLI
	must(t, os.WriteFile(big, bigData, 0o644))

	cli(t, h.url, "s3", "cp", small, "s3://cli-bucket/up/small file.txt")
	cli(t, h.url, "s3", "cp", big, "s3://cli-bucket/up/big.bin")
	cli(t, h.url, "s3", "cp", small, "s3://cli-bucket/elsewhere.txt") // outside the prefix

	ls := cli(t, h.url, "s3", "ls", "--recursive", "s3://cli-bucket/")
	for _, want := range []string{"up/small file.txt", "up/big.bin", "elsewhere.txt", " 20971520 "} {
		if !strings.Contains(ls, want) {
			t.Errorf("s3 ls output lacks %q:\n%s", want, ls)
		}
	}

	back := filepath.Join(dir, "back.bin")
	cli(t, h.url, "s3", "cp", "s3://cli-bucket/up/big.bin", back)
	gotBig, err := os.ReadFile(back)
	must(t, err)
	if md5.Sum(gotBig) != md5.Sum(bigData) {
		t.Fatalf("downloaded big.bin differs (%d bytes, want %d)", len(gotBig), len(bigData))
	}

	h.waitIdle(t)
	byKey := map[string]string{}
	for _, ev := range h.inv.events(t) {
		byKey[ev.S3.Object.URLDecodedKey] = ev.EventName
		if ev.S3.Object.URLDecodedKey == "up/big.bin" && ev.S3.Object.Size != int64(len(bigData)) {
			t.Errorf("big.bin event size = %d, want %d", ev.S3.Object.Size, len(bigData))
		}
	}
	want := map[string]string{
		"up/small file.txt": "ObjectCreated:Put",
		"up/big.bin":        "ObjectCreated:CompleteMultipartUpload",
	}
	if len(byKey) != len(want) || byKey["up/small file.txt"] != want["up/small file.txt"] || byKey["up/big.bin"] != want["up/big.bin"] {
		t.Fatalf("events by key = %v, want %v", byKey, want)
	}
}
