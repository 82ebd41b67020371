package deploy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facevec/facevec/internal/lambdazip/lambdaziptest"
	"github.com/facevec/facevec/localstack/provision"
)

// The scripts run for real (bash, jq, mktemp …) against testdata/fake-aws,
// which records each call and answers like the AWS CLI. Nothing here
// reaches AWS: the environment is built from scratch, without the
// caller's AWS_* variables, and HOME is a temporary directory.

const fakeAccount = "123456789012"

type fakeAWS struct {
	t   *testing.T
	dir string // FAKE_DIR: the fake's state and call log
	cli string
}

func newFakeAWS(t *testing.T) *fakeAWS {
	t.Helper()
	for _, tool := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (the deploy scripts need it): %v", tool, err)
		}
	}
	cli, err := filepath.Abs("testdata/fake-aws")
	if err != nil {
		t.Fatal(err)
	}
	return &fakeAWS{t: t, dir: t.TempDir(), cli: cli}
}

// write puts a state file of the fake.
func (f *fakeAWS) write(name string, data []byte) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), data, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeAWS) writeJSON(name string, v any) {
	f.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	f.write(name, data)
}

func (f *fakeAWS) read(name string) string {
	f.t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, name))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(data)
}

func (f *fakeAWS) exists(name string) bool {
	_, err := os.Stat(filepath.Join(f.dir, name))
	return err == nil
}

// bucket makes a bucket exist.
func (f *fakeAWS) bucket(name string) { f.write("bucket-"+name, nil) }

// stack makes the stack exist with these outputs (it is created, with
// them, by a deploy otherwise).
func (f *fakeAWS) stack(outputs map[string]string, exists bool) {
	var outs []map[string]string
	for k, v := range outputs {
		outs = append(outs, map[string]string{"OutputKey": k, "OutputValue": v})
	}
	f.writeJSON("stack.json", map[string]any{"Stacks": []any{map[string]any{
		"StackName": "facevec", "StackStatus": "CREATE_COMPLETE", "Outputs": outs,
	}}})
	if exists {
		f.write("stack-exists", nil)
	}
}

type runResult struct {
	stdout, stderr string
	code           int
}

// run runs a script with only the given environment (plus PATH, HOME,
// TMPDIR and the fake's settings).
func (f *fakeAWS) run(script string, env map[string]string) runResult {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./"+script)
	home := f.t.TempDir()
	cmd.Env = append(goEnv(f.t), []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + f.t.TempDir(),
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"FAKE_DIR=" + f.dir,
		"AWS_CLI=" + f.cli,
	}...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := runResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		f.t.Fatalf("run %s: %v\n%s", script, err, r.stderr)
	}
	if ctx.Err() != nil {
		f.t.Fatalf("%s did not finish within a minute\n%s", script, r.stderr)
	}
	f.t.Logf("%s exit %d\nstdout:\n%s\nstderr:\n%s", script, r.code, r.stdout, r.stderr)
	return r
}

// goEnv is what deploy.sh's `go run ./function/pack -check` needs from the
// test's Go setup (HOME is a fresh directory): the build and module caches,
// and no network.
var goEnv = sync.OnceValue(func() func(t *testing.T) []string {
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	return func(t *testing.T) []string {
		t.Helper()
		f := strings.Fields(string(out))
		if err != nil || len(f) != 3 {
			t.Fatalf("go env: %v %q", err, out)
		}
		return []string{"GOCACHE=" + f[0], "GOMODCACHE=" + f[1], "GOPATH=" + f[2], "GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS="}
	}
})()

// calls are the fake's invocations, each its argument list.
func (f *fakeAWS) calls() [][]string {
	f.t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, "calls.jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	var out [][]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var args []string
		if err := json.Unmarshal(sc.Bytes(), &args); err != nil {
			f.t.Fatalf("call log: %v", err)
		}
		out = append(out, args)
	}
	return out
}

// command strips the global options: "cloudformation deploy", ….
func command(args []string) string {
	for len(args) >= 2 && (args[0] == "--endpoint-url" || args[0] == "--region" || args[0] == "--output") {
		args = args[2:]
	}
	if len(args) < 2 {
		return strings.Join(args, " ")
	}
	return args[0] + " " + args[1]
}

// commands lists the commands called, in order.
func (f *fakeAWS) commands() []string {
	var out []string
	for _, c := range f.calls() {
		out = append(out, command(c))
	}
	return out
}

// calledWith returns the calls of one command.
func (f *fakeAWS) calledWith(cmd string) [][]string {
	var out [][]string
	for _, c := range f.calls() {
		if command(c) == cmd {
			out = append(out, c)
		}
	}
	return out
}

// option returns the value after --name in args.
func option(args []string, name string) string {
	if i := slices.Index(args, "--"+name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// stackOutputs are what a deployed stack answers.
func stackOutputs(region string) map[string]string {
	base := "facevec-" + fakeAccount + "-" + region
	return map[string]string{
		"InputBucketName":        base + "-in",
		"InputBucketCreated":     "true",
		"OutputBucketName":       base + "-out",
		"OutputPrefix":           "encodings/",
		"FunctionName":           "facevec-encoder",
		"FunctionArn":            "arn:aws:lambda:" + region + ":" + fakeAccount + ":function:facevec-encoder",
		"LogGroupName":           "/aws/lambda/facevec-encoder",
		"DeadLetterQueueUrl":     "https://sqs." + region + ".amazonaws.com/" + fakeAccount + "/facevec-DeadLetterQueue-X",
		"BatchOperationsRoleArn": "arn:aws:iam::" + fakeAccount + ":role/facevec-BatchOperationsRole-X",
	}
}

var scripts = []string{"deploy.sh", "undeploy.sh", "smoke.sh", "backfill.sh"}

func TestScriptsNeedARegion(t *testing.T) {
	for _, script := range scripts {
		t.Run(script, func(t *testing.T) {
			f := newFakeAWS(t)
			r := f.run(script, map[string]string{"FUNCTION_ZIP": writeZip(t)})
			if r.code == 0 || !strings.Contains(r.stderr, "no AWS region configured") {
				t.Fatalf("exit %d, stderr %q: want the missing-region error", r.code, r.stderr)
			}
			// Nothing but the region lookup happened.
			if got := f.commands(); !slices.Equal(got, []string{"configure get"}) {
				t.Errorf("calls %v, want only `aws configure get region`", got)
			}
		})
	}
}

func TestScriptsNeedCredentials(t *testing.T) {
	for _, script := range scripts {
		t.Run(script, func(t *testing.T) {
			f := newFakeAWS(t)
			r := f.run(script, map[string]string{"AWS_REGION": "eu-west-1", "FAKE_STS_FAIL": "1", "FUNCTION_ZIP": writeZip(t)})
			if r.code == 0 || !strings.Contains(r.stderr, "no usable AWS credentials") ||
				!strings.Contains(r.stderr, "Unable to locate credentials") {
				t.Fatalf("exit %d, stderr %q: want the credentials error with the CLI's reason", r.code, r.stderr)
			}
			if got := f.commands(); !slices.Equal(got, []string{"sts get-caller-identity"}) {
				t.Errorf("calls %v, want only sts get-caller-identity", got)
			}
		})
	}
}

// TestRegionFromAWSConfigure: without AWS_REGION the CLI's configured
// region is used, and passed on every call.
func TestRegionFromAWSConfigure(t *testing.T) {
	f := newFakeAWS(t)
	r := f.run("undeploy.sh", map[string]string{"FAKE_CONFIGURED_REGION": "ap-southeast-2"})
	if r.code != 0 || !strings.Contains(r.stderr, "region ap-southeast-2") {
		t.Fatalf("exit %d: want success in ap-southeast-2", r.code)
	}
	for _, c := range f.calls()[1:] {
		if option(c, "region") != "ap-southeast-2" {
			t.Errorf("call %v lacks --region ap-southeast-2", c)
		}
	}
}

func TestEndpointURLOnEveryCall(t *testing.T) {
	f := newFakeAWS(t)
	r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"})
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	calls := f.calls()
	if len(calls) < 2 {
		t.Fatalf("calls %v", calls)
	}
	for _, c := range calls {
		if option(c, "endpoint-url") != "http://127.0.0.1:4566" {
			t.Errorf("call %v lacks --endpoint-url", c)
		}
	}
}

func TestDeployRejectsBadSettings(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"upper-case stack", map[string]string{"STACK_NAME": "FaceVec"}, "STACK_NAME='FaceVec'"},
		{"underscore stack", map[string]string{"STACK_NAME": "face_vec"}, "STACK_NAME='face_vec'"},
		// 63 - len("-123456789012-us-east-1-vectors"): the vector bucket's
		// name is the longest (issue #28: the bound was the -code bucket's).
		{"long stack", map[string]string{"STACK_NAME": strings.Repeat("a", 33)}, "at most 32 fit"},
		{"detector", map[string]string{"DETECTOR": "dnn"}, "DETECTOR='dnn': want hog or cnn"},
		{"upsample text", map[string]string{"UPSAMPLE": "two"}, "UPSAMPLE='two'"},
		{"upsample range", map[string]string{"UPSAMPLE": "5"}, "UPSAMPLE='5': want an integer from 0 to 4"},
		{"memory", map[string]string{"MEMORY_MB": "64"}, "MEMORY_MB='64': want an integer from 128 to 10240"},
		{"timeout", map[string]string{"TIMEOUT_S": "901"}, "TIMEOUT_S='901'"},
		{"negative side", map[string]string{"MAX_SIDE": "-1"}, "MAX_SIDE='-1'"},
		{"retention", map[string]string{"LOG_RETENTION_DAYS": "10"}, "LOG_RETENTION_DAYS='10'"},
		{"two retentions", map[string]string{"LOG_RETENTION_DAYS": "14 30"}, "LOG_RETENTION_DAYS='14 30'"},
		{"deploy bucket", map[string]string{"DEPLOY_BUCKET": "Artifacts"}, "DEPLOY_BUCKET='Artifacts'"},
		{"prefix slash", map[string]string{"OUTPUT_PREFIX": "/enc/"}, "OUTPUT_PREFIX='/enc/'"},
		{"prefix star", map[string]string{"OUTPUT_PREFIX": "enc*/"}, "OUTPUT_PREFIX='enc*/'"},
		{"existing bucket", map[string]string{"EXISTING_INPUT_BUCKET": "My_Photos"}, "EXISTING_INPUT_BUCKET='My_Photos'"},
		{"no zip", map[string]string{"FUNCTION_ZIP": "/nonexistent/function.zip"}, "make package"},
		{"boundary name", map[string]string{"PERMISSIONS_BOUNDARY": "DeveloperBoundary"}, "PERMISSIONS_BOUNDARY='DeveloperBoundary': want the ARN"},
		{"boundary role", map[string]string{"PERMISSIONS_BOUNDARY": "arn:aws:iam::123456789012:role/x"}, "PERMISSIONS_BOUNDARY="},
		{"concurrency text", map[string]string{"RESERVED_CONCURRENCY": "ten"}, "RESERVED_CONCURRENCY='ten'"},
		{"event age short", map[string]string{"MAX_EVENT_AGE_S": "30"}, "MAX_EVENT_AGE_S='30': want an integer from 60 to 21600"},
		{"alarm topic", map[string]string{"ALARM_TOPIC_ARN": "platform-alarms"}, "ALARM_TOPIC_ARN='platform-alarms': want the ARN of an SNS topic"},
		{"role path", map[string]string{"ROLE_PATH": "apps"}, "ROLE_PATH='apps': want an IAM path"},
		{"kms alias", map[string]string{"KMS_KEY_ARN": "alias/facevec"}, "KMS_KEY_ARN='alias/facevec': want the ARN of a KMS key"},
		{"aws namespace", map[string]string{"METRICS_NAMESPACE": "AWS/Lambda"}, "METRICS_NAMESPACE='AWS/Lambda'"},
		{"role prefix", map[string]string{"ROLE_NAME_PREFIX": "a-very-long-role-name-prefix"}, "ROLE_NAME_PREFIX='a-very-long-role-name-prefix'"},
		{"alarm age", map[string]string{"ALARM_MAX_MESSAGE_AGE_S": "10"}, "ALARM_MAX_MESSAGE_AGE_S='10'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeAWS(t)
			env := map[string]string{"AWS_REGION": "us-east-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t)}
			for k, v := range c.env {
				env[k] = v
			}
			r := f.run("deploy.sh", env)
			if r.code == 0 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d, stderr %q: want an error mentioning %q", r.code, r.stderr, c.want)
			}
			// Only the preflight ran: nothing was created or deployed.
			if got := f.commands(); !slices.Equal(got, []string{"sts get-caller-identity"}) {
				t.Errorf("calls %v, want only the preflight", got)
			}
		})
	}
}

// writeZip writes a small package that passes the checks deploy.sh runs
// (a static bootstrap, readable modes), one per test.
func writeZip(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "my function.zip")
	if err := os.WriteFile(p, lambdaziptest.Package(t, t.Name()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDeploy(t *testing.T) {
	f := newFakeAWS(t)
	f.stack(stackOutputs("eu-west-1"), false)
	zip := writeZip(t)
	r := f.run("deploy.sh", map[string]string{
		"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": zip,
		"DETECTOR": "cnn", "UPSAMPLE": "2", "JITTER": "1", "MAX_SIDE": "1600", "MEMORY_MB": "3008",
		"TIMEOUT_S": "300", "OUTPUT_PREFIX": "vectors/", "LOG_RETENTION_DAYS": "30",
		"MAX_OBJECT_BYTES": "10485760", "MAX_PIXELS": "40000000",
		"PERMISSIONS_BOUNDARY": "arn:aws:iam::123456789012:policy/org/DeveloperBoundary",
		"RESERVED_CONCURRENCY": "20", "MAX_EVENT_AGE_S": "3600",
		"ALARM_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:platform-alarms", "ALARM_MAX_MESSAGE_AGE_S": "900",
		"ROLE_PATH": "/apps/facevec/", "ROLE_NAME_PREFIX": "app-",
		"KMS_KEY_ARN":       "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"METRICS_NAMESPACE": "facevec",
	})
	if r.code != 0 {
		t.Fatalf("deploy.sh exit %d", r.code)
	}
	want := []string{
		"sts get-caller-identity",
		"cloudformation describe-stacks", // not there yet
		"cloudformation describe-type",   // S3 Vectors in the region
		"s3api head-bucket", "s3api create-bucket", "s3api put-bucket-policy", "s3api put-bucket-lifecycle-configuration",
		"s3api head-object", "s3api put-object", // the zip, not there yet
		"s3api head-object", "s3api put-object", // vectors.yaml, not there yet
		"cloudformation deploy",
		"cloudformation describe-stacks",
	}
	if got := f.commands(); !slices.Equal(got, want) {
		t.Errorf("calls\n%v\nwant\n%v", got, want)
	}
	codeBucket := "facevec-" + fakeAccount + "-eu-west-1-code"
	if c := f.calledWith("s3api create-bucket"); len(c) != 1 || option(c[0], "bucket") != codeBucket ||
		option(c[0], "create-bucket-configuration") != "LocationConstraint=eu-west-1" {
		t.Errorf("create-bucket calls %v, want %s in eu-west-1", c, codeBucket)
	}
	// Every call on the artifact bucket names its owner, this account
	// (create-bucket takes no owner: it fails for a taken name).
	for _, c := range f.calls() {
		if option(c, "bucket") == codeBucket && command(c) != "s3api create-bucket" && option(c, "expected-bucket-owner") != fakeAccount {
			t.Errorf("call %v on the artifact bucket lacks --expected-bucket-owner %s", c, fakeAccount)
		}
	}
	// It refuses plain HTTP and expires old packages.
	var policy struct {
		Statement []struct {
			Effect, Action string
			Principal      any
			Resource       []string
			Condition      map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(f.read("policy-"+codeBucket+".json")), &policy); err != nil {
		t.Fatal(err)
	}
	if st := policy.Statement; len(st) != 1 || st[0].Effect != "Deny" || st[0].Action != "s3:*" || st[0].Principal != "*" ||
		st[0].Condition["Bool"]["aws:SecureTransport"] != "false" ||
		!slices.Equal(st[0].Resource, []string{"arn:aws:s3:::" + codeBucket, "arn:aws:s3:::" + codeBucket + "/*"}) {
		t.Errorf("artifact bucket policy %+v: want plain HTTP denied on the bucket and its objects", st)
	}
	var lc struct{ Rules []map[string]any }
	if err := json.Unmarshal([]byte(f.read("lifecycle-"+codeBucket+".json")), &lc); err != nil {
		t.Fatal(err)
	}
	if len(lc.Rules) != 1 || canon(lc.Rules[0]["Expiration"]) != `{"Days":365}` || lc.Rules[0]["Status"] != "Enabled" {
		t.Errorf("artifact bucket lifecycle %+v: want packages expired after 365 days", lc.Rules)
	}
	// The zip went where `aws cloudformation package` would put it, and the
	// deployed template points there.
	codeKey := "facevec/" + md5Hex(t, zip)
	if got := f.read("s3/" + codeBucket + "/" + codeKey); got != mustRead(t, zip) {
		t.Errorf("s3://%s/%s holds %d bytes, want the FUNCTION_ZIP", codeBucket, codeKey, len(got))
	}
	checkDeployedCode(t, f.read("deployed-template.yaml"), codeBucket, codeKey)

	dep := f.calledWith("cloudformation deploy")[0]
	// Both acknowledgements: with ROLE_NAME_PREFIX the roles are named.
	if i := slices.Index(dep, "--capabilities"); i < 0 || i+2 >= len(dep) || dep[i+1] != "CAPABILITY_IAM" || dep[i+2] != "CAPABILITY_NAMED_IAM" {
		t.Errorf("deploy %v: want --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM", dep)
	}
	for opt, v := range map[string]string{"stack-name": "facevec", "s3-bucket": ""} {
		if option(dep, opt) != v {
			t.Errorf("deploy --%s = %q, want %q", opt, option(dep, opt), v)
		}
	}
	overrides := parameterOverrides(dep)
	wantOverrides := map[string]string{
		"Detector": "cnn", "Upsample": "2", "Jitter": "1", "MaxSide": "1600", "MemorySize": "3008",
		"Timeout": "300", "OutputPrefix": "vectors/", "LogRetentionInDays": "30",
		"MaxObjectBytes": "10485760", "MaxPixels": "40000000",
		"PermissionsBoundary": "arn:aws:iam::123456789012:policy/org/DeveloperBoundary",
		"ReservedConcurrency": "20", "MaxEventAgeSeconds": "3600",
		"AlarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:platform-alarms", "AlarmMaxMessageAgeSeconds": "900",
		"RolePath": "/apps/facevec/", "RoleNamePrefix": "app-",
		"KmsKeyArn":        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"MetricsNamespace": "facevec",
	}
	if canon(overrides) != canon(wantOverrides) {
		t.Errorf("parameter overrides %v, want %v", overrides, wantOverrides)
	}
	tpl, err := Parse(readTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	for k := range overrides {
		if at(tpl, "Parameters", k) == nil {
			t.Errorf("deploy.sh sets parameter %s, which the template does not have", k)
		}
	}
	for _, c := range f.calls()[1:] {
		if option(c, "region") != "eu-west-1" {
			t.Errorf("call %v lacks --region eu-west-1", c)
		}
	}
	if !strings.Contains(r.stderr, "stack facevec is up") || !strings.Contains(r.stderr, "s3://facevec-"+fakeAccount+"-eu-west-1-in") {
		t.Errorf("no summary of the stack in stderr")
	}

	// Again, with nothing set: the artifact bucket and the zip are there
	// now, and every parameter keeps the stack's value.
	before := len(f.calls())
	if r := f.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": zip}); r.code != 0 {
		t.Fatalf("second deploy exit %d", r.code)
	}
	var again []string
	for _, c := range f.calls()[before:] {
		again = append(again, command(c))
	}
	if want := []string{"sts get-caller-identity", "cloudformation describe-stacks", "cloudformation describe-type",
		"cloudformation list-stack-resources", "s3api head-bucket", "s3api head-object", "s3api head-object",
		"cloudformation deploy", "cloudformation describe-stacks"}; !slices.Equal(again, want) {
		t.Errorf("second deploy calls\n%v\nwant\n%v", again, want)
	}
	if dep := f.calledWith("cloudformation deploy")[1]; slices.Contains(dep, "--parameter-overrides") {
		t.Errorf("second deploy %v overrides parameters nobody set", dep)
	}
	if got := f.params(); canon(got) != canon(wantOverrides) {
		t.Errorf("stack parameters after the second deploy %v, want the first deploy's %v", got, wantOverrides)
	}
}

// md5Hex is the hex MD5 of a file: the key `aws cloudformation package`
// gives an artifact.
func md5Hex(t *testing.T, path string) string {
	t.Helper()
	sum := md5.Sum([]byte(mustRead(t, path)))
	return hex.EncodeToString(sum[:])
}

// checkDeployedCode: the deployed template is template.yaml with only the
// function's Code changed, to the uploaded zip, and the nested stack's
// TemplateURL, to the uploaded vectors.yaml.
func checkDeployedCode(t *testing.T, deployed, bucket, key string) {
	t.Helper()
	got, err := Parse([]byte(deployed))
	if err != nil {
		t.Fatalf("deployed template: %v", err)
	}
	want, err := Parse(readTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	props(want, idFunction)["Code"] = map[string]any{"S3Bucket": bucket, "S3Key": key}
	// The nested template, uploaded beside the zip under the MD5 of its
	// text plus ".template" (package's key): a path-style https URL.
	url, _ := at(got, "Resources", idFaceIndexStack, "Properties", "TemplateURL").(string)
	prefix, _, _ := strings.Cut(key, "/")
	if !regexp.MustCompile(`^https?://[^/]+(/[^/]+)*/` + regexp.QuoteMeta(bucket+"/"+prefix) + `/[0-9a-f]{32}\.template$`).MatchString(url) {
		t.Errorf("deployed TemplateURL %q: want an https URL of s3://%s/%s/<md5>.template", url, bucket, prefix)
	}
	props(want, idFaceIndexStack)["TemplateURL"] = url
	if !same(got, want) {
		t.Errorf("deployed template differs from template.yaml by more than Code = s3://%s/%s and TemplateURL; its Code: %s",
			bucket, key, canon(at(got, "Resources", idFunction, "Properties", "Code")))
	}
}

// params are the stack's parameter values the fake keeps.
func (f *fakeAWS) params() map[string]string {
	f.t.Helper()
	var p map[string]string
	if err := json.Unmarshal([]byte(f.read("params.json")), &p); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// TestRedeployKeepsExistingInputBucket: a plain re-deploy after a deploy
// with EXISTING_INPUT_BUCKET keeps that bucket (issue #18: it used to
// pass ExistingInputBucket="" and so create a new bucket, stranding the
// old one's notifications).
func TestRedeployKeepsExistingInputBucket(t *testing.T) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	outs["InputBucketName"], outs["InputBucketCreated"] = "photos", "false"
	f.stack(outs, false)
	zip := writeZip(t)
	env := map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": zip, "FAKE_BUCKET_LOCATION": `"eu-west-1"`}
	first := maps.Clone(env)
	first["EXISTING_INPUT_BUCKET"] = "photos"
	if r := f.run("deploy.sh", first); r.code != 0 {
		t.Fatalf("first deploy exit %d", r.code)
	}
	if r := f.run("deploy.sh", env); r.code != 0 {
		t.Fatalf("re-deploy exit %d", r.code)
	}
	if got := f.params()["ExistingInputBucket"]; got != "photos" {
		t.Errorf("after the re-deploy the stack's ExistingInputBucket is %q, want photos", got)
	}
	// Both deploys wired the bucket's notifications to the function.
	if n := len(f.calledWith("s3api put-bucket-notification-configuration")); n != 2 {
		t.Errorf("%d notification writes over two deploys, want 2", n)
	}

	// Naming another bucket is refused before anything changes.
	calls := len(f.calls())
	other := maps.Clone(env)
	other["EXISTING_INPUT_BUCKET"] = "holiday-photos"
	r := f.run("deploy.sh", other)
	if r.code == 0 || !strings.Contains(r.stderr, "takes its photos from photos") || !strings.Contains(r.stderr, "make undeploy") {
		t.Fatalf("exit %d: want the refusal to switch buckets in place", r.code)
	}
	for _, c := range f.calls()[calls:] {
		if cmd := command(c); cmd != "sts get-caller-identity" && cmd != "cloudformation describe-stacks" {
			t.Errorf("refused deploy still called %s", cmd)
		}
	}
}

// TestDeployRefusesSwitchToExistingBucket: a stack with its own input
// bucket cannot be pointed at an existing one in place either.
func TestDeployRefusesSwitchToExistingBucket(t *testing.T) {
	f := newFakeAWS(t)
	f.stack(stackOutputs("eu-west-1"), true)
	f.writeJSON("params.json", map[string]string{"ExistingInputBucket": ""})
	r := f.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t), "EXISTING_INPUT_BUCKET": "photos"})
	if r.code == 0 || !strings.Contains(r.stderr, "takes its photos from the bucket it created") {
		t.Fatalf("exit %d: want the refusal to switch buckets in place", r.code)
	}
	if len(f.calledWith("cloudformation deploy")) != 0 {
		t.Error("deployed anyway")
	}
}

// TestDeployRefusesAPackageLambdaCannotRun: deploy.sh checks the zip
// with function/pack's check before uploading anything.
func TestDeployRefusesAPackageLambdaCannotRun(t *testing.T) {
	dynamic, err := os.ReadFile("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh to serve as a dynamic bootstrap: %v", err)
	}
	zip := filepath.Join(t.TempDir(), "function.zip")
	if err := os.WriteFile(zip, lambdaziptest.Zip(t, lambdaziptest.Entry{Name: "bootstrap", Mode: 0o755, Data: dynamic}), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFakeAWS(t)
	r := f.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": zip})
	if r.code == 0 || !strings.Contains(r.stderr, "is not a package Lambda can run") || !strings.Contains(r.stderr, "dynamically linked") {
		t.Fatalf("exit %d: want the package check's refusal naming the dynamic bootstrap", r.code)
	}
	if got := f.commands(); !slices.Equal(got, []string{"sts get-caller-identity"}) {
		t.Errorf("calls %v, want only the preflight", got)
	}
}

// parameterOverrides reads the Key=Value arguments after
// --parameter-overrides.
func parameterOverrides(args []string) map[string]string {
	out := map[string]string{}
	i := slices.Index(args, "--parameter-overrides")
	if i < 0 {
		return out
	}
	for _, a := range args[i+1:] {
		if strings.HasPrefix(a, "--") {
			break
		}
		k, v, _ := strings.Cut(a, "=")
		out[k] = v
	}
	return out
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestDeployFailureShowsReasons(t *testing.T) {
	f := newFakeAWS(t)
	r := f.run("deploy.sh", map[string]string{"AWS_REGION": "us-east-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t), "FAKE_DEPLOY_FAIL": "1"})
	if r.code == 0 || !strings.Contains(r.stderr, "not authorized to perform iam:CreateRole") {
		t.Fatalf("exit %d: want the failed resource's reason on stderr", r.code)
	}
	// us-east-1 takes no LocationConstraint.
	if c := f.calledWith("s3api create-bucket"); len(c) != 1 || slices.Contains(c[0], "--create-bucket-configuration") {
		t.Errorf("create-bucket in us-east-1: %v", c)
	}
}

// foreignNotifications is an existing bucket's configuration that is not
// ours: a queue, another function (neither overlapping ours, which S3
// would refuse), and a stale configuration of this stack.
const foreignNotifications = `{
  "QueueConfigurations": [{"Id": "audit", "QueueArn": "arn:aws:sqs:eu-west-1:123456789012:audit", "Events": ["s3:ObjectCreated:*"],
    "Filter": {"Key": {"FilterRules": [{"Name": "Suffix", "Value": ".log"}]}}}],
  "LambdaFunctionConfigurations": [
    {"Id": "csv-import", "LambdaFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:csv", "Events": ["s3:ObjectCreated:*"],
     "Filter": {"Key": {"FilterRules": [{"Name": "Suffix", "Value": ".csv"}]}}},
    {"Id": "facevec-facevec-0-old", "LambdaFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:facevec-encoder", "Events": ["s3:ObjectCreated:*"],
     "Filter": {"Key": {"FilterRules": [{"Name": "Suffix", "Value": ".jpe"}]}}}
  ]
}`

type notificationConfig struct {
	QueueConfigurations          []map[string]any
	LambdaFunctionConfigurations []struct {
		ID        string `json:"Id"`
		ARN       string `json:"LambdaFunctionArn"`
		Events    []string
		FilterKey struct {
			Key struct {
				FilterRules []struct{ Name, Value string }
			}
		} `json:"Filter"`
	}
}

func TestDeployExistingInputBucket(t *testing.T) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	outs["InputBucketName"], outs["InputBucketCreated"] = "photos", "false"
	f.stack(outs, false)
	f.bucket("facevec-" + fakeAccount + "-eu-west-1-code")
	f.write("notification-photos.json", []byte(foreignNotifications))
	r := f.run("deploy.sh", map[string]string{
		"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t),
		"EXISTING_INPUT_BUCKET": "photos", "FAKE_BUCKET_LOCATION": `"eu-west-1"`,
	})
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if got := parameterOverrides(f.calledWith("cloudformation deploy")[0])["ExistingInputBucket"]; got != "photos" {
		t.Errorf("ExistingInputBucket=%q, want photos", got)
	}
	var nc notificationConfig
	if err := json.Unmarshal([]byte(f.read("notification-photos.json")), &nc); err != nil {
		t.Fatal(err)
	}
	if len(nc.QueueConfigurations) != 1 {
		t.Errorf("queue configuration lost: %+v", nc.QueueConfigurations)
	}
	checkWired(t, nc, outs["FunctionArn"], false)
}

// checkWired: the bucket notifies the function of every suffix's
// creations, and of every removal when faces are indexed; another
// function's configuration stays and this stack's stale one does not.
func checkWired(t *testing.T, nc notificationConfig, fnArn string, removals bool) {
	t.Helper()
	var suffixes []string
	kept, removed := false, 0
	for _, c := range nc.LambdaFunctionConfigurations {
		switch {
		case c.ID == "csv-import":
			kept = true
		case c.ID == "facevec-facevec-0-old":
			t.Errorf("stale configuration of this stack kept")
		case c.ARN == fnArn && slices.Equal(c.Events, []string{"s3:ObjectRemoved:*"}) && len(c.FilterKey.Key.FilterRules) == 0:
			removed++
		case c.ARN != fnArn || !slices.Equal(c.Events, []string{"s3:ObjectCreated:*"}) || len(c.FilterKey.Key.FilterRules) != 1:
			t.Errorf("configuration %+v", c)
		default:
			suffixes = append(suffixes, c.FilterKey.Key.FilterRules[0].Value)
		}
	}
	if !kept {
		t.Errorf("another function's configuration was dropped")
	}
	if !slices.Equal(suffixes, provision.DefaultSuffixes) {
		t.Errorf("suffixes %v, want %v", suffixes, provision.DefaultSuffixes)
	}
	if want := map[bool]int{false: 0, true: 1}[removals]; removed != want {
		t.Errorf("%d s3:ObjectRemoved:* configurations to the function, want %d (faces indexed: %v)", removed, want, removals)
	}
}

// TestDeployExistingInputBucketIndexed: with faces indexed, an existing
// bucket sends its removals to the function too, as the template does for
// a bucket it creates (issue #28: only creations were wired, so deleted
// photos' faces stayed in the index).
func TestDeployExistingInputBucketIndexed(t *testing.T) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	outs["InputBucketName"], outs["InputBucketCreated"] = "photos", "false"
	outs["VectorBucketName"], outs["VectorIndexName"] = "facevec-"+fakeAccount+"-eu-west-1-vectors", "faces"
	f.stack(outs, false)
	f.write("notification-photos.json", []byte(foreignNotifications))
	r := f.run("deploy.sh", map[string]string{
		"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t),
		"EXISTING_INPUT_BUCKET": "photos", "FAKE_BUCKET_LOCATION": `"eu-west-1"`,
	})
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	var nc notificationConfig
	if err := json.Unmarshal([]byte(f.read("notification-photos.json")), &nc); err != nil {
		t.Fatal(err)
	}
	checkWired(t, nc, outs["FunctionArn"], true)
}

// TestDeployNamesOverlappingNotifications: S3 refuses a configuration that
// overlaps one already on the bucket without saying which; deploy.sh names
// it, before creating anything.
func TestDeployNamesOverlappingNotifications(t *testing.T) {
	for _, c := range []struct {
		name, config, env, want string
	}{
		{"removals", `{"LambdaFunctionConfigurations": [{"Id": "audit-deletes", "LambdaFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:audit",
			"Events": ["s3:ObjectRemoved:Delete"], "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "raw/"}]}}}]}`, "",
			"audit-deletes (s3:ObjectRemoved:Delete prefix raw/ -> arn:aws:lambda:eu-west-1:123456789012:function:audit)"},
		{"jpg thumbnails", `{"QueueConfigurations": [{"Id": "thumbs", "QueueArn": "arn:aws:sqs:eu-west-1:123456789012:thumbs",
			"Events": ["s3:ObjectCreated:Put"], "Filter": {"Key": {"FilterRules": [{"Name": "Suffix", "Value": "g"}]}}}]}`, "",
			"thumbs (s3:ObjectCreated:Put suffix g -> arn:aws:sqs:eu-west-1:123456789012:thumbs)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeAWS(t)
			f.write("notification-photos.json", []byte(c.config))
			r := f.run("deploy.sh", map[string]string{
				"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t),
				"EXISTING_INPUT_BUCKET": "photos", "FAKE_BUCKET_LOCATION": `"eu-west-1"`,
			})
			if r.code == 0 || !strings.Contains(r.stderr, "overlap") || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d: want the overlapping configuration named: %s", r.code, c.want)
			}
			for _, cmd := range []string{"cloudformation deploy", "s3api create-bucket", "s3api put-object", "s3api put-bucket-notification-configuration"} {
				if len(f.calledWith(cmd)) != 0 {
					t.Errorf("called %s before refusing", cmd)
				}
			}
		})
	}
	// Without an index, another function's removals do not overlap.
	f := newFakeAWS(t)
	f.stack(map[string]string{}, false)
	outs := stackOutputs("eu-west-1")
	outs["InputBucketName"], outs["InputBucketCreated"] = "photos", "false"
	f.stack(outs, false)
	f.write("notification-photos.json", []byte(`{"LambdaFunctionConfigurations": [{"Id": "audit-deletes",
		"LambdaFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:audit", "Events": ["s3:ObjectRemoved:*"]}]}`))
	r := f.run("deploy.sh", map[string]string{
		"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t), "FACE_INDEX": "",
		"EXISTING_INPUT_BUCKET": "photos", "FAKE_BUCKET_LOCATION": `"eu-west-1"`,
	})
	if r.code != 0 {
		t.Fatalf("without an index: exit %d", r.code)
	}
}

func TestDeployExistingBucketInAnotherRegion(t *testing.T) {
	f := newFakeAWS(t)
	r := f.run("deploy.sh", map[string]string{
		"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t),
		"EXISTING_INPUT_BUCKET": "photos", "FAKE_BUCKET_LOCATION": "null", // us-east-1
	})
	if r.code == 0 || !strings.Contains(r.stderr, "is in us-east-1") {
		t.Fatalf("exit %d: want the region mismatch error", r.code)
	}
	if len(f.calledWith("cloudformation deploy")) != 0 {
		t.Errorf("deployed anyway")
	}
}

// undeployable is a deployed stack with its own buckets, photos in the
// input bucket wired to the function, and a face index it created.
func undeployable(t *testing.T) (*fakeAWS, map[string]string) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	outs["VectorBucketName"], outs["VectorIndexName"] = "facevec-"+fakeAccount+"-eu-west-1-vectors", "faces"
	f.stack(outs, true)
	in, out := outs["InputBucketName"], outs["OutputBucketName"]
	f.bucket(in)
	f.bucket(out)
	f.writeJSON("resources.json", map[string]any{"StackResourceSummaries": []map[string]string{
		{"LogicalResourceId": "InputBucket", "PhysicalResourceId": in, "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "CREATE_COMPLETE"},
		{"LogicalResourceId": "OutputBucket", "PhysicalResourceId": out, "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "CREATE_COMPLETE"},
		{"LogicalResourceId": "DeadLetterQueue", "PhysicalResourceId": "https://sqs/x", "ResourceType": "AWS::SQS::Queue", "ResourceStatus": "CREATE_COMPLETE"},
		{"LogicalResourceId": "FaceIndexStack", "PhysicalResourceId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/facevec-FaceIndexStack-X/1", "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": "CREATE_COMPLETE"},
	}})
	f.write("objects-"+in+".json", []byte(`{
		"Versions": [{"Key": "people/grace hopper.jpg", "VersionId": "v1"}, {"Key": "a&b.png", "VersionId": "null"}],
		"DeleteMarkers": [{"Key": "old.jpg", "VersionId": "m1"}]}`))
	// What the template configures on a bucket it creates (generated Ids).
	f.writeJSON("notification-"+in+".json", map[string]any{"LambdaFunctionConfigurations": []any{
		map[string]any{"Id": "NjQ5ZDg3", "LambdaFunctionArn": outs["FunctionArn"], "Events": []string{"s3:ObjectCreated:*"}},
	}})
	return f, outs
}

// index returns the position of the first call of cmd, -1 for none.
func (f *fakeAWS) index(cmd string) int { return slices.Index(f.commands(), cmd) }

func TestUndeploy(t *testing.T) {
	f, outs := undeployable(t)
	in, out := outs["InputBucketName"], outs["OutputBucketName"]
	r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "CONFIRM": "facevec"})
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	var deleted struct {
		Objects []struct{ Key, VersionId string }
	}
	if err := json.Unmarshal([]byte(f.read("deleted-"+in+".jsonl")), &deleted); err != nil {
		t.Fatal(err)
	}
	if canon(deleted.Objects) != `[{"Key":"people/grace hopper.jpg","VersionId":"v1"},{"Key":"a\u0026b.png","VersionId":"null"},{"Key":"old.jpg","VersionId":"m1"}]` {
		t.Errorf("deleted %+v", deleted.Objects)
	}
	if f.exists("deleted-" + out + ".jsonl") {
		t.Errorf("delete-objects on the empty output bucket")
	}
	if len(f.calledWith("cloudformation delete-stack")) != 1 || len(f.calledWith("cloudformation wait")) != 1 {
		t.Errorf("stack not deleted and waited for: %v", f.commands())
	}
	if f.exists("stack-exists") || f.exists("bucket-"+in) || f.exists("bucket-"+out) {
		t.Errorf("stack or a bucket still exists")
	}
	// The order that loses nothing and invokes nothing (issue #28): the
	// notifications go first, then the stack, and only then the data.
	detach, del, empty := f.index("s3api put-bucket-notification-configuration"), f.index("cloudformation delete-stack"), f.index("s3api delete-objects")
	if detach < 0 || del < 0 || empty < 0 || !(detach < del && del < empty) {
		t.Errorf("calls %v: want notifications detached, then the stack deleted, then the buckets emptied", f.commands())
	}
	if nc := f.read("notification-" + in + ".json"); strings.Contains(nc, outs["FunctionArn"]) {
		t.Errorf("input bucket still notifies the function: %s", nc)
	}
	if got := f.read("vectors-deleted"); got != "delete-index "+outs["VectorBucketName"]+" faces\ndelete-vector-bucket "+outs["VectorBucketName"]+" \n" {
		t.Errorf("vector deletions %q: want the index, then its bucket", got)
	}
	if !strings.Contains(r.stderr, "DELETED with all its objects: s3://"+in+" (3 objects)") {
		t.Errorf("the summary does not say what is deleted, with object counts")
	}
}

// TestUndeployAsksFirst: nothing is touched without CONFIRM=<stack name>
// (or a typed answer on a terminal) (issue #28: make undeploy deleted the
// photos without asking).
func TestUndeployAsksFirst(t *testing.T) {
	for _, confirm := range []string{"", "yes", "other-stack"} {
		t.Run("CONFIRM="+confirm, func(t *testing.T) {
			f, outs := undeployable(t)
			env := map[string]string{"AWS_REGION": "eu-west-1"}
			if confirm != "" {
				env["CONFIRM"] = confirm
			}
			r := f.run("undeploy.sh", env)
			if r.code == 0 || !strings.Contains(r.stderr, "nothing done") {
				t.Fatalf("exit %d: want a refusal that says nothing was done", r.code)
			}
			if !strings.Contains(r.stderr, "s3://"+outs["InputBucketName"]+" (3 objects)") {
				t.Errorf("the refusal does not show what would be deleted")
			}
			for _, cmd := range []string{"cloudformation delete-stack", "s3api delete-objects", "s3api put-bucket-notification-configuration", "s3api delete-bucket"} {
				if len(f.calledWith(cmd)) != 0 {
					t.Errorf("called %s without confirmation", cmd)
				}
			}
		})
	}
}

// TestUndeployKeepData: KEEP_DATA=1 deletes the stack only; the retained
// buckets and index stay, and the script says how to use or remove them.
func TestUndeployKeepData(t *testing.T) {
	f, outs := undeployable(t)
	r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "CONFIRM": "facevec", "KEEP_DATA": "1"})
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if len(f.calledWith("cloudformation delete-stack")) != 1 {
		t.Errorf("stack not deleted")
	}
	for _, cmd := range []string{"s3api delete-objects", "s3api delete-bucket", "s3vectors delete-index"} {
		if len(f.calledWith(cmd)) != 0 {
			t.Errorf("KEEP_DATA=1 still called %s", cmd)
		}
	}
	if !f.exists("objects-"+outs["InputBucketName"]+".json") || !strings.Contains(r.stderr, "kept s3://"+outs["InputBucketName"]) ||
		!strings.Contains(r.stderr, "EXISTING_VECTOR_BUCKET="+outs["VectorBucketName"]) {
		t.Errorf("photos not kept, or not said so")
	}
}

// TestUndeployFailedDeletionKeepsData: when the stack's deletion fails the
// data is untouched (issue #28: the buckets were emptied before it).
func TestUndeployFailedDeletionKeepsData(t *testing.T) {
	f, outs := undeployable(t)
	r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "CONFIRM": "facevec", "FAKE_DELETE_FAIL": "1"})
	if r.code == 0 || !strings.Contains(r.stderr, "data is untouched") {
		t.Fatalf("exit %d: want the failure", r.code)
	}
	if len(f.calledWith("s3api delete-objects")) != 0 || !f.exists("objects-"+outs["InputBucketName"]+".json") {
		t.Errorf("photos deleted although the stack was not")
	}
}

// TestUndeployAfterAFailedCreate: a create that fails rolls back around the
// retained buckets and vector bucket (DELETE_SKIPPED, no outputs); undeploy
// removes them too, or the next deploy could not create them again.
func TestUndeployAfterAFailedCreate(t *testing.T) {
	f := newFakeAWS(t)
	in, out := "facevec-"+fakeAccount+"-eu-west-1-in", "facevec-"+fakeAccount+"-eu-west-1-out"
	f.writeJSON("stack.json", map[string]any{"Stacks": []any{map[string]any{"StackName": "facevec", "StackStatus": "ROLLBACK_COMPLETE"}}})
	f.write("stack-exists", nil)
	f.bucket(in)
	f.bucket(out)
	f.writeJSON("resources.json", map[string]any{"StackResourceSummaries": []map[string]string{
		{"LogicalResourceId": "InputBucket", "PhysicalResourceId": in, "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "DELETE_SKIPPED"},
		{"LogicalResourceId": "OutputBucket", "PhysicalResourceId": out, "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "DELETE_SKIPPED"},
		{"LogicalResourceId": "FaceIndexStack", "PhysicalResourceId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/facevec-FaceIndexStack-X/1", "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": "DELETE_COMPLETE"},
		{"LogicalResourceId": "EncoderRole", "PhysicalResourceId": "facevec-EncoderRole-X", "ResourceType": "AWS::IAM::Role", "ResourceStatus": "DELETE_COMPLETE"},
	}})
	r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "CONFIRM": "facevec"})
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if f.exists("bucket-"+in) || f.exists("bucket-"+out) {
		t.Errorf("retained buckets of the failed create are still there")
	}
	if got := f.read("vectors-deleted"); !strings.Contains(got, "delete-vector-bucket facevec-"+fakeAccount+"-eu-west-1-vectors") || !strings.Contains(got, "delete-index facevec-"+fakeAccount+"-eu-west-1-vectors faces") {
		t.Errorf("vector deletions %q: want the template's vector bucket and default index", got)
	}
}

// TestUndeployLegacyStack: a stack from a template before the buckets were
// retained deletes them itself, and CloudFormation cannot delete one that
// holds objects. Without KEEP_DATA they are emptied first (as confirmed);
// with it, the deletion that fails on them is repeated retaining them.
func TestUndeployLegacyStack(t *testing.T) {
	t.Run("delete", func(t *testing.T) {
		f, outs := undeployable(t)
		r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "CONFIRM": "facevec", "FAKE_LEGACY_TEMPLATE": "1"})
		if r.code != 0 {
			t.Fatalf("exit %d", r.code)
		}
		if empty, del := f.index("s3api delete-objects"), f.index("cloudformation delete-stack"); empty < 0 || del < empty {
			t.Errorf("calls %v: want the buckets emptied before the stack's deletion", f.commands())
		}
		if f.exists("stack-exists") || f.exists("bucket-"+outs["InputBucketName"]) {
			t.Errorf("stack or input bucket still there")
		}
	})
	t.Run("keep", func(t *testing.T) {
		f, outs := undeployable(t)
		r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "CONFIRM": "facevec", "KEEP_DATA": "1", "FAKE_LEGACY_TEMPLATE": "1"})
		if r.code != 0 {
			t.Fatalf("exit %d", r.code)
		}
		if f.exists("stack-exists") || !f.exists("objects-"+outs["InputBucketName"]+".json") || len(f.calledWith("s3api delete-objects")) != 0 {
			t.Errorf("want the stack gone and the photos kept")
		}
		if got := strings.TrimSpace(f.read("retained")); got != "InputBucket" {
			t.Errorf("retained %q, want InputBucket (the bucket the deletion failed on)", got)
		}
	})
}

// TestUndeployOldCLIKeepsTheIndex: a CLI without s3vectors (2.9) cannot
// delete the index; the script says so and prints the commands.
func TestUndeployOldCLIKeepsTheIndex(t *testing.T) {
	f, outs := undeployable(t)
	r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "CONFIRM": "facevec", "FAKE_NO_S3VECTORS_CLI": "1"})
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if !strings.Contains(r.stderr, "aws s3vectors delete-vector-bucket --vector-bucket-name "+outs["VectorBucketName"]) {
		t.Errorf("no command to delete the kept index")
	}
}

func TestUndeployKeepsExistingInputBucket(t *testing.T) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	outs["InputBucketName"], outs["InputBucketCreated"] = "photos", "false"
	f.stack(outs, true)
	f.bucket("photos")
	f.bucket(outs["OutputBucketName"])
	f.write("objects-photos.json", []byte(`{"Versions": [{"Key": "mine.jpg", "VersionId": "null"}]}`))
	f.writeJSON("resources.json", map[string]any{"StackResourceSummaries": []map[string]string{
		{"LogicalResourceId": "OutputBucket", "PhysicalResourceId": outs["OutputBucketName"], "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "CREATE_COMPLETE"},
	}})
	// What deploy.sh wrote, plus the foreign configurations.
	var cfg map[string]any
	if err := json.Unmarshal([]byte(foreignNotifications), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["LambdaFunctionConfigurations"] = append(cfg["LambdaFunctionConfigurations"].([]any), map[string]any{
		"Id": "facevec-facevec-0-jpg", "LambdaFunctionArn": outs["FunctionArn"], "Events": []string{"s3:ObjectCreated:*"},
	})
	f.writeJSON("notification-photos.json", cfg)

	if r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "CONFIRM": "facevec"}); r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	for _, c := range f.calledWith("s3api list-object-versions") {
		if option(c, "bucket") == "photos" {
			t.Errorf("listed the existing input bucket for deletion")
		}
	}
	if f.exists("deleted-photos.jsonl") {
		t.Errorf("deleted objects of the existing input bucket")
	}
	var nc notificationConfig
	if err := json.Unmarshal([]byte(f.read("notification-photos.json")), &nc); err != nil {
		t.Fatal(err)
	}
	if len(nc.QueueConfigurations) != 1 || len(nc.LambdaFunctionConfigurations) != 1 || nc.LambdaFunctionConfigurations[0].ID != "csv-import" {
		t.Errorf("notifications after undeploy %+v: want only the queue and the csv function", nc)
	}
}

// TestUndeployRepairsAfterConsoleDeletion: an existing bucket's
// notifications live outside CloudFormation; after the stack was deleted
// some other way they point at a deleted function, and S3 refuses every
// later change that keeps them (issue #28). undeploy.sh with
// EXISTING_INPUT_BUCKET removes this stack's (by Id) and keeps the rest,
// and deploy.sh names that command when it wires the bucket.
func TestUndeployRepairsAfterConsoleDeletion(t *testing.T) {
	f := newFakeAWS(t)
	var cfg map[string]any
	if err := json.Unmarshal([]byte(foreignNotifications), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["LambdaFunctionConfigurations"] = append(cfg["LambdaFunctionConfigurations"].([]any),
		map[string]any{"Id": "facevec-facevec-0-jpg", "LambdaFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:facevec-encoder", "Events": []string{"s3:ObjectCreated:*"}},
		map[string]any{"Id": "facevec-facevec-removed", "LambdaFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:facevec-encoder", "Events": []string{"s3:ObjectRemoved:*"}})
	f.writeJSON("notification-photos.json", cfg)
	r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "EXISTING_INPUT_BUCKET": "photos"})
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	var nc notificationConfig
	if err := json.Unmarshal([]byte(f.read("notification-photos.json")), &nc); err != nil {
		t.Fatal(err)
	}
	if len(nc.QueueConfigurations) != 1 || len(nc.LambdaFunctionConfigurations) != 1 || nc.LambdaFunctionConfigurations[0].ID != "csv-import" {
		t.Errorf("notifications after the repair %+v: want only the queue and the csv function", nc)
	}
	if len(f.calledWith("cloudformation delete-stack")) != 0 {
		t.Errorf("the repair deleted a stack")
	}

	// deploy.sh names the repair when it wires an existing bucket.
	g := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	outs["InputBucketName"], outs["InputBucketCreated"] = "photos", "false"
	g.stack(outs, false)
	d := g.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t),
		"EXISTING_INPUT_BUCKET": "photos", "FAKE_BUCKET_LOCATION": `"eu-west-1"`})
	if d.code != 0 || !strings.Contains(d.stderr, "STACK_NAME=facevec EXISTING_INPUT_BUCKET=photos deploy/undeploy.sh") {
		t.Errorf("exit %d: deploy.sh does not name the repair command", d.code)
	}
}

func TestUndeployWithoutStack(t *testing.T) {
	f := newFakeAWS(t)
	r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "eu-west-1"})
	if r.code != 0 || !strings.Contains(r.stderr, "nothing to remove") {
		t.Fatalf("exit %d: want success with nothing to remove", r.code)
	}
	if got := f.commands(); !slices.Equal(got, []string{"sts get-caller-identity", "cloudformation describe-stacks"}) {
		t.Errorf("calls %v", got)
	}
}

// goldenHopper is the encoder's golden result for the smoke photo.
func goldenHopper(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../fixtures/golden/results.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) == nil && at(r, "source", "file") == "people/grace hopper.jpg" {
			return r
		}
	}
	t.Fatal("no golden result for people/grace hopper.jpg")
	return nil
}

var smokeKeyRE = regexp.MustCompile(`^smoke/\d{8}T\d{6}Z-\d+/grace hopper\.jpg$`)

func TestSmoke(t *testing.T) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	f.stack(outs, true)
	golden := goldenHopper(t)
	f.writeJSON("result.json", golden)
	r := f.run("smoke.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE_POLL": "0.1", "FAKE_HEAD_AFTER": "3"})
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	up := f.calledWith("s3 cp")[0]
	dst := up[len(up)-1]
	key := strings.TrimPrefix(dst, "s3://"+outs["InputBucketName"]+"/")
	if !smokeKeyRE.MatchString(key) || !strings.HasSuffix(up[len(up)-2], "fixtures/people/grace hopper.jpg") {
		t.Errorf("upload %v: want the fixture under a fresh smoke/ key", up)
	}
	heads := f.calledWith("s3api head-object")
	if len(heads) != 3 {
		t.Errorf("%d polls, want 3 (the result appears on the third)", len(heads))
	}
	for _, h := range heads {
		if want := "encodings/" + outs["InputBucketName"] + "/" + key + ".json"; option(h, "bucket") != outs["OutputBucketName"] || option(h, "key") != want {
			t.Errorf("poll %v: want %s in the output bucket", h, want)
		}
	}
	face := list(golden["faces"])[0]
	box := mapping(at(face, "box"))
	desc := list(at(face, "descriptor"))
	for _, want := range []string{
		"faces      1",
		"box left=" + canon(box["left"]) + " top=" + canon(box["top"]) + " right=" + canon(box["right"]) + " bottom=" + canon(box["bottom"]),
		"descriptor[0:4] = " + canon(desc[0]) + " " + canon(desc[1]),
		"(128 values)",
		"error      none",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

// TestSmokeCleansUpAnExistingBucket: in the user's own bucket the smoke
// photo is deleted after a success (issue #28: it stayed, and the README
// said make undeploy would remove it, which it does not for that bucket).
func TestSmokeCleansUpAnExistingBucket(t *testing.T) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	outs["InputBucketName"], outs["InputBucketCreated"] = "photos", "false"
	f.stack(outs, true)
	f.writeJSON("result.json", goldenHopper(t))
	r := f.run("smoke.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE_POLL": "0.1"})
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	up := f.calledWith("s3 cp")[0]
	if got, want := strings.TrimSpace(f.read("deleted-objects")), strings.TrimPrefix(up[len(up)-1], "s3://"); got != want {
		t.Errorf("deleted %q, want the smoke photo %q", got, want)
	}
}

// TestSmokeQueueMode: with BufferWithQueue the trigger is the queue's
// notification, and a failure reports the ingest dead-letter queue too
// (issue #28: it looked for a notification to the function and reported
// only the async failure queue).
func TestSmokeQueueMode(t *testing.T) {
	queueArn := "arn:aws:sqs:eu-west-1:" + fakeAccount + ":facevec-IngestQueue-X"
	for _, c := range []struct {
		name  string
		wired bool
		env   map[string]string
		want  []string
	}{
		{"unwired", false, map[string]string{"FAKE_LOST_UPLOADS": "99", "SMOKE_TIMEOUT": "1", "SMOKE_REUPLOAD": "1"},
			[]string{"step 2/4 (trigger) failed", "has no notification to " + queueArn}},
		{"function fails", true, map[string]string{"FAKE_RESULT_NEVER": "1", "SMOKE_TIMEOUT": "1"},
			[]string{"step 3/4 (function) failed", "ingest dead-letter queue holds 3 message(s)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS(t)
			outs := stackOutputs("eu-west-1")
			outs["IngestQueueArn"] = queueArn
			outs["IngestDeadLetterQueueUrl"] = "https://sqs.eu-west-1.amazonaws.com/" + fakeAccount + "/facevec-IngestDeadLetterQueue-X"
			f.stack(outs, true)
			if c.wired {
				f.writeJSON("notification-"+outs["InputBucketName"]+".json", map[string]any{"QueueConfigurations": []any{
					map[string]any{"Id": "q", "QueueArn": queueArn, "Events": []string{"s3:ObjectCreated:*"}},
				}})
			}
			f.writeJSON("result.json", goldenHopper(t))
			env := map[string]string{"AWS_REGION": "eu-west-1", "SMOKE_POLL": "0.1"}
			maps.Copy(env, c.env)
			r := f.run("smoke.sh", env)
			if r.code == 0 {
				t.Fatal("smoke.sh succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("output lacks %q", w)
				}
			}
		})
	}
}

// TestSmokeCalibratesTheIndex: with a face index the smoke test runs
// `facevec index --calibrate` and says how search must read distances
// (issue #28: whether QueryVectors' distance is squared is undocumented).
func TestSmokeCalibratesTheIndex(t *testing.T) {
	for _, metric := range []string{"euclidean", "squared", "cubed"} {
		t.Run(metric, func(t *testing.T) {
			f := newFakeAWS(t)
			outs := stackOutputs("eu-west-1")
			outs["VectorBucketName"], outs["VectorIndexName"] = "facevec-"+fakeAccount+"-eu-west-1-vectors", "faces"
			f.stack(outs, true)
			f.writeJSON("result.json", goldenHopper(t))
			// A stand-in CLI: records its arguments, answers metric.
			cli := filepath.Join(t.TempDir(), "facevec")
			if err := os.WriteFile(cli, []byte("#!/bin/sh\necho \"$@\" >"+filepath.Join(f.dir, "cli-args")+"\necho "+metric+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			r := f.run("smoke.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE_POLL": "0.1", "FACEVEC_CLI": cli})
			if got, want := f.read("cli-args"), "index --calibrate --vector-bucket "+outs["VectorBucketName"]+" --vector-index faces\n"; got != want {
				t.Errorf("CLI called with %q, want %q", got, want)
			}
			switch metric {
			case "euclidean":
				if r.code != 0 || !strings.Contains(r.stderr, "distance is Euclidean") {
					t.Errorf("exit %d: want success saying the distance is Euclidean", r.code)
				}
			case "squared":
				if r.code != 0 || !strings.Contains(r.stderr, "FACEVEC_VECTOR_DISTANCE=squared") {
					t.Errorf("exit %d: want success naming FACEVEC_VECTOR_DISTANCE=squared", r.code)
				}
			default:
				if r.code == 0 || !strings.Contains(r.stderr, "answered 'cubed'") {
					t.Errorf("exit %d: want a failure on an unknown answer", r.code)
				}
			}
		})
	}
}

// wire writes the input bucket's notification to the stack's function,
// as a deploy leaves it.
func (f *fakeAWS) wire(outs map[string]string) {
	f.writeJSON("notification-"+outs["InputBucketName"]+".json", map[string]any{"LambdaFunctionConfigurations": []any{
		map[string]any{"Id": "facevec-facevec-0-jpg", "LambdaFunctionArn": outs["FunctionArn"], "Events": []string{"s3:ObjectCreated:*"}},
	}})
}

func TestSmokeFailures(t *testing.T) {
	cases := []struct {
		name    string
		result  func(r map[string]any)
		env     map[string]string
		unwired bool
		want    []string
	}{
		{"error result", func(r map[string]any) {
			r["faces"] = []any{}
			r["error"] = map[string]any{"code": "decode_failed", "message": "s3://x/y: not a JPEG"}
		}, nil, false, []string{"decode_failed: s3://x/y: not a JPEG", "step 4/4 (result) failed: not a success"}},
		{"no face", func(r map[string]any) { r["faces"] = []any{} }, nil, false, []string{"faces      0", "step 4/4 (result) failed"}},
		{"short descriptor", func(r map[string]any) {
			f := mapping(list(r["faces"])[0])
			f["descriptor"] = list(f["descriptor"])[:127]
		}, nil, false, []string{"(127 values)", "step 4/4 (result) failed"}},
		{"upload refused", nil, map[string]string{"FAKE_UPLOAD_FAIL": "1"}, false,
			[]string{"step 1/4 (upload) failed", "Access Denied"}},
		{"no notification", nil, map[string]string{"FAKE_LOST_UPLOADS": "99", "SMOKE_TIMEOUT": "2", "SMOKE_REUPLOAD": "1"}, true,
			[]string{"step 2/4 (trigger) failed", "has no notification to arn:aws:lambda:eu-west-1:123456789012:function:facevec-encoder"}},
		{"never invoked", nil, map[string]string{"FAKE_LOST_UPLOADS": "99", "SMOKE_TIMEOUT": "2", "SMOKE_REUPLOAD": "1"}, false,
			[]string{"step 2/4 (trigger) failed", "S3 did not invoke the function", "upload(s) over 2s"}},
		{"function fails", nil, map[string]string{"FAKE_RESULT_NEVER": "1", "SMOKE_TIMEOUT": "1"}, false,
			[]string{"step 3/4 (function) failed", "fake log: init error", "3 message(s)"}},
		{"missing image", nil, map[string]string{"SMOKE_IMAGE": "/nonexistent.jpg"}, false, []string{"SMOKE_IMAGE='/nonexistent.jpg' does not exist"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // most of each case is waiting
			f := newFakeAWS(t)
			outs := stackOutputs("eu-west-1")
			f.stack(outs, true)
			if !c.unwired {
				f.wire(outs)
			}
			r := goldenHopper(t)
			if c.result != nil {
				c.result(r)
			}
			f.writeJSON("result.json", r)
			env := map[string]string{"AWS_REGION": "eu-west-1", "SMOKE_POLL": "0.1"}
			for k, v := range c.env {
				env[k] = v
			}
			res := f.run("smoke.sh", env)
			if res.code == 0 {
				t.Fatal("smoke.sh succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(res.stdout+res.stderr, w) {
					t.Errorf("output lacks %q", w)
				}
			}
		})
	}
}

// TestSmokeUploadsAgain: S3 can take minutes to apply a new notification
// configuration, so an upload right after a deploy may trigger nothing.
// The smoke test uploads again, backing off, within its wait (issue #18:
// it used to upload once and fail a healthy stack).
func TestSmokeUploadsAgain(t *testing.T) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	f.stack(outs, true)
	f.wire(outs)
	f.writeJSON("result.json", goldenHopper(t))
	r := f.run("smoke.sh", map[string]string{
		"AWS_REGION": "eu-west-1", "SMOKE_POLL": "0.1", "SMOKE_REUPLOAD": "1", "SMOKE_TIMEOUT": "60",
		"FAKE_LOST_UPLOADS": "2", // the first two uploads trigger nothing
	})
	if r.code != 0 {
		t.Fatalf("exit %d: want success once an upload triggers the function", r.code)
	}
	ups := f.calledWith("s3 cp")
	var keys []string
	for _, c := range ups {
		if dst := c[len(c)-1]; strings.HasPrefix(dst, "s3://") {
			keys = append(keys, dst)
		}
	}
	if len(keys) != 3 {
		t.Fatalf("%d uploads %v, want 3 (two lost, the third triggers)", len(keys), keys)
	}
	if keys[0] != keys[1] || keys[1] != keys[2] {
		t.Errorf("uploads to %v: want the same key each time (one result to wait for)", keys)
	}
	if !strings.Contains(r.stdout, "faces      1") {
		t.Errorf("no summary of the result")
	}
}

// TestDeployRegionWithoutS3Vectors: where CloudFormation has no
// AWS::S3Vectors types (il-central-1, me-central-1, the China regions …)
// indexing is refused before anything is created; without an index the
// stack deploys there (issue #28).
func TestDeployRegionWithoutS3Vectors(t *testing.T) {
	f := newFakeAWS(t)
	f.stack(stackOutputs("il-central-1"), false)
	env := map[string]string{"AWS_REGION": "il-central-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t), "FAKE_NO_S3VECTORS": "1"}
	r := f.run("deploy.sh", env)
	if r.code == 0 || !strings.Contains(r.stderr, "S3 Vectors is not available in il-central-1") || !strings.Contains(r.stderr, "FACE_INDEX=") {
		t.Fatalf("exit %d: want the refusal naming the region and FACE_INDEX=", r.code)
	}
	if got, want := f.commands(), []string{"sts get-caller-identity", "cloudformation describe-stacks", "cloudformation describe-type"}; !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v: nothing created", got, want)
	}
	env["FACE_INDEX"] = ""
	if r := f.run("deploy.sh", env); r.code != 0 {
		t.Fatalf("without an index: exit %d", r.code)
	}
	if p := f.params(); p["VectorIndex"] != "" {
		t.Errorf("VectorIndex=%q, want empty", p["VectorIndex"])
	}
	// A later deploy with nothing set keeps the stack's empty index: no
	// refusal (the effective value is the stack's, not the default).
	if r := f.run("deploy.sh", map[string]string{"AWS_REGION": "il-central-1", "SMOKE": "0", "FUNCTION_ZIP": env["FUNCTION_ZIP"], "FAKE_NO_S3VECTORS": "1"}); r.code != 0 {
		t.Fatalf("re-deploy without an index: exit %d", r.code)
	}
}

// TestDeployRefusesToMoveTheIndex: a stack from the template that held the
// vector bucket itself cannot be updated to the nested one (CloudFormation
// would create a second bucket of the same name); deploy.sh says so.
func TestDeployRefusesToMoveTheIndex(t *testing.T) {
	f := newFakeAWS(t)
	f.stack(stackOutputs("eu-west-1"), true)
	f.writeJSON("resources.json", map[string]any{"StackResourceSummaries": []map[string]string{
		{"LogicalResourceId": "FaceVectorBucket", "PhysicalResourceId": "facevec-123456789012-eu-west-1-vectors", "ResourceType": "AWS::S3Vectors::VectorBucket", "ResourceStatus": "CREATE_COMPLETE"},
	}})
	r := f.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t)})
	if r.code == 0 || !strings.Contains(r.stderr, "holds its vector bucket itself") || !strings.Contains(r.stderr, "facevec index") {
		t.Fatalf("exit %d: want the refusal to move the index", r.code)
	}
	if len(f.calledWith("cloudformation deploy")) != 0 || len(f.calledWith("s3api put-object")) != 0 {
		t.Errorf("uploaded or deployed anyway: %v", f.commands())
	}
}

// TestDeployChecksQueueSettings: the queue settings AWS refuses, or that
// drain into the dead-letter queue, are refused before anything is
// created, against the values the stack will have: the env, else the
// stack's current value, else the template default (issue #28: only
// values set together in the env were checked).
func TestDeployChecksQueueSettings(t *testing.T) {
	cases := []struct {
		name  string
		stack map[string]string // the stack's current parameters; nil: no stack
		env   map[string]string
		want  string
	}{
		{"timeout over the default visibility", nil, map[string]string{"BUFFER_WITH_QUEUE": "true", "TIMEOUT_S": "900"},
			"visibility timeout (720 s, QUEUE_VISIBILITY_TIMEOUT_S) is below the function timeout (900 s"},
		{"timeout raised later", map[string]string{"BufferWithQueue": "true", "QueueVisibilityTimeout": "300"}, map[string]string{"TIMEOUT_S": "301"},
			"visibility timeout (300 s"},
		{"reservation under the default pollers", nil, map[string]string{"BUFFER_WITH_QUEUE": "true", "RESERVED_CONCURRENCY": "5"},
			"QUEUE_MAX_CONCURRENCY=10 is over RESERVED_CONCURRENCY=5"},
		{"reservation lowered later", map[string]string{"BufferWithQueue": "true", "QueueMaxConcurrency": "50"}, map[string]string{"RESERVED_CONCURRENCY": "20"},
			"QUEUE_MAX_CONCURRENCY=50 is over RESERVED_CONCURRENCY=20"},
		{"big batch without window", nil, map[string]string{"BUFFER_WITH_QUEUE": "true", "QUEUE_BATCH_SIZE": "100"},
			"a queue batch of 100 messages needs a batching window of at least 1 s"},
		{"buffering turned on later", map[string]string{"QueueBatchSize": "50", "ReservedConcurrency": "0"}, map[string]string{"BUFFER_WITH_QUEUE": "true"},
			"a queue batch of 50 messages"},
		// An empty variable is no override: the stack's value counts.
		{"empty timeout", map[string]string{"BufferWithQueue": "true", "Timeout": "900"}, map[string]string{"TIMEOUT_S": ""},
			"visibility timeout (720 s, QUEUE_VISIBILITY_TIMEOUT_S) is below the function timeout (900 s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeAWS(t)
			f.stack(stackOutputs("eu-west-1"), c.stack != nil)
			if c.stack != nil {
				f.writeJSON("params.json", c.stack)
			}
			env := map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t)}
			maps.Copy(env, c.env)
			r := f.run("deploy.sh", env)
			if r.code == 0 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d: want an error mentioning %q", r.code, c.want)
			}
			for _, cmd := range []string{"cloudformation deploy", "s3api create-bucket", "s3api put-object"} {
				if len(f.calledWith(cmd)) != 0 {
					t.Errorf("called %s before refusing", cmd)
				}
			}
		})
	}
	// Settings that fit deploy.
	f := newFakeAWS(t)
	f.stack(stackOutputs("eu-west-1"), false)
	r := f.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t),
		"BUFFER_WITH_QUEUE": "true", "TIMEOUT_S": "900", "QUEUE_VISIBILITY_TIMEOUT_S": "5400", "RESERVED_CONCURRENCY": "10",
		"QUEUE_BATCH_SIZE": "100", "QUEUE_BATCHING_WINDOW_S": "5"})
	if r.code != 0 {
		t.Fatalf("fitting queue settings: exit %d", r.code)
	}
}

// TestDeployRefusesAForeignDeployBucket: the artifact bucket's default
// name is predictable and global. If another account created it (with a
// policy letting us write) and put its own code at <stack>/<md5>, the old
// deploy.sh found the key there, skipped the upload and deployed their
// code (issue #28). Now every call names the owner and S3's 403 stops it.
func TestDeployRefusesAForeignDeployBucket(t *testing.T) {
	f := newFakeAWS(t)
	f.stack(stackOutputs("eu-west-1"), false)
	zip := writeZip(t)
	codeBucket := "facevec-" + fakeAccount + "-eu-west-1-code"
	f.bucket(codeBucket)
	f.write("owner-"+codeBucket, []byte("999999999999"))
	key := "s3/" + codeBucket + "/facevec/" + md5Hex(t, zip)
	if err := os.MkdirAll(filepath.Dir(filepath.Join(f.dir, key)), 0o755); err != nil {
		t.Fatal(err)
	}
	f.write(key, []byte("their code"))
	r := f.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": zip})
	if r.code == 0 || !strings.Contains(r.stderr, "does not own it") {
		t.Fatalf("exit %d: want the refusal of a bucket another account owns", r.code)
	}
	if len(f.calledWith("cloudformation deploy")) != 0 {
		t.Errorf("deployed with code from another account's bucket")
	}
}

// TestDeployUpdateRollbackFailed: a stack whose update rollback failed
// takes no update; deploy.sh names the way out instead of failing in
// CloudFormation (issue #28).
func TestDeployUpdateRollbackFailed(t *testing.T) {
	f := newFakeAWS(t)
	f.writeJSON("stack.json", map[string]any{"Stacks": []any{map[string]any{"StackName": "facevec", "StackStatus": "UPDATE_ROLLBACK_FAILED"}}})
	f.write("stack-exists", nil)
	r := f.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t)})
	if r.code == 0 || !strings.Contains(r.stderr, "continue-update-rollback --stack-name facevec") {
		t.Fatalf("exit %d: want the continue-update-rollback advice", r.code)
	}
	if len(f.calledWith("cloudformation deploy")) != 0 {
		t.Errorf("deployed anyway")
	}
}

// TestRegionNames: every region name AWS uses passes the region check,
// the European Sovereign Cloud's too (issue #28: eusc-de-east-1 was
// refused).
func TestRegionNames(t *testing.T) {
	for _, region := range []string{"eusc-de-east-1", "us-isob-east-1", "ap-southeast-7", "us-gov-west-1"} {
		f := newFakeAWS(t)
		if r := f.run("undeploy.sh", map[string]string{"AWS_REGION": region}); r.code != 0 || !strings.Contains(r.stderr, "region "+region) {
			t.Errorf("%s: exit %d: want it accepted", region, r.code)
		}
	}
	f := newFakeAWS(t)
	if r := f.run("undeploy.sh", map[string]string{"AWS_REGION": "europe-west1"}); r.code == 0 {
		t.Errorf("europe-west1 (not an AWS region) accepted")
	}
}

// TestDeployTags: TAGS become stack tags, which CloudFormation puts on
// every resource that takes tags (the platform team's list, issue #28); a
// later deploy without TAGS keeps them, and a bad tag is refused before
// anything is created.
func TestDeployTags(t *testing.T) {
	f := newFakeAWS(t)
	f.stack(stackOutputs("eu-west-1"), false)
	zip := writeZip(t)
	env := map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": zip, "TAGS": "team=vision,cost-center=42,owner=a.b@example.com"}
	if r := f.run("deploy.sh", env); r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	want := `[{"Key":"project","Value":"facevec"},{"Key":"team","Value":"vision"},{"Key":"cost-center","Value":"42"},{"Key":"owner","Value":"a.b@example.com"}]`
	var tags any
	if err := json.Unmarshal([]byte(f.read("tags.json")), &tags); err != nil || canon(tags) != want {
		t.Fatalf("stack tags %s (%v), want %s", canon(tags), err, want)
	}
	delete(env, "TAGS")
	if r := f.run("deploy.sh", env); r.code != 0 {
		t.Fatalf("re-deploy exit %d", r.code)
	}
	if err := json.Unmarshal([]byte(f.read("tags.json")), &tags); err != nil || canon(tags) != want {
		t.Errorf("after a deploy without TAGS the stack's tags are %s, want them kept: %s", canon(tags), want)
	}
	for _, bad := range []string{"team", "aws:x=1", "a=b;c", "project=other"} {
		g := newFakeAWS(t)
		r := g.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": zip, "TAGS": bad})
		if r.code == 0 || !strings.Contains(r.stderr, "TAGS: '"+bad+"'") {
			t.Errorf("TAGS=%s: exit %d, want a refusal", bad, r.code)
		}
		if len(g.calledWith("cloudformation deploy")) != 0 {
			t.Errorf("TAGS=%s: deployed anyway", bad)
		}
	}
}

// TestBucketSuffixes: lib.sh bounds the stack name by the longest
// bucket-name suffix; every bucket name the templates and deploy.sh build
// from the stack name must be in its list.
func TestBucketSuffixes(t *testing.T) {
	m := regexp.MustCompile(`(?m)^BUCKET_SUFFIXES=\(([^)]*)\)`).FindStringSubmatch(mustRead(t, "lib.sh"))
	if m == nil {
		t.Fatal("lib.sh has no BUCKET_SUFFIXES=(...) line")
	}
	known := strings.Fields(m[1])
	nameRE := regexp.MustCompile(`\$\{AWS::StackName\}-\$\{AWS::AccountId\}-\$\{AWS::Region\}(-[a-z]+)"|\$STACK_NAME-\$ACCOUNT-\$REGION(-[a-z]+)`)
	found := 0
	for _, file := range append([]string{"deploy.sh"}, templateFiles...) {
		for _, s := range nameRE.FindAllStringSubmatch(mustRead(t, file), -1) {
			found++
			if suffix := s[1] + s[2]; !slices.Contains(known, suffix) {
				t.Errorf("%s names a bucket <stack>-<account>-<region>%s; lib.sh's BUCKET_SUFFIXES %v lacks it, so the stack-name bound may be too loose", file, suffix, known)
			}
		}
	}
	if found == 0 {
		t.Fatal("no bucket name built from the stack name found: update the pattern")
	}
}

// TestScriptSuffixes: the suffixes deploy.sh wires on an existing bucket
// are the template's and the provisioner's.
func TestScriptSuffixes(t *testing.T) {
	src := mustRead(t, "lib.sh")
	m := regexp.MustCompile(`(?m)^SUFFIXES=\(([^)]*)\)`).FindStringSubmatch(src)
	if m == nil {
		t.Fatal("lib.sh has no SUFFIXES=(...) line")
	}
	if got := strings.Fields(m[1]); !slices.Equal(got, provision.DefaultSuffixes) {
		t.Errorf("lib.sh SUFFIXES %v, want provision.DefaultSuffixes %v", got, provision.DefaultSuffixes)
	}
}
