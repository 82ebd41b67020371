package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// cfnTemplate uses every provider of the stand-in but the nested stack:
// the function's code comes from a bucket the test fills, as deploy.sh
// rewrites Code to S3Bucket/S3Key.
const cfnTemplate = `
AWSTemplateFormatVersion: "2010-09-09"
Description: stand-in rehearsal
Parameters:
  CodeBucket: {Type: String}
  Memory: {Type: Number, Default: 256, MinValue: 128}
  Index: {Type: String, Default: "on", AllowedValues: ["on", "off"]}
Conditions:
  WithIndex: !Equals [!Ref Index, "on"]
Resources:
  LogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/aws/lambda/${AWS::StackName}-fn"
      RetentionInDays: 7
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: rw
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: !Sub "arn:${AWS::Partition}:s3:::${AWS::StackName}-${AWS::AccountId}-in/*"}
  Function:
    Type: AWS::Lambda::Function
    DependsOn: LogGroup
    Properties:
      FunctionName: !Sub "${AWS::StackName}-fn"
      Code: {S3Bucket: !Ref CodeBucket, S3Key: fn.zip}
      Runtime: provided.al2023
      Handler: bootstrap
      Architectures: [x86_64]
      MemorySize: !Ref Memory
      Timeout: 30
      ReservedConcurrentExecutions: 2
      EphemeralStorage: {Size: 1024}
      Role: !GetAtt Role.Arn
      Environment:
        Variables:
          STACK: !Ref AWS::StackName
          INDEX: !If [WithIndex, !Ref VectorIndex, !Ref AWS::NoValue]
  InvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: !Ref Function, Qualifier: $LATEST, MaximumRetryAttempts: 0}
  Permission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !GetAtt Function.Arn
      Action: lambda:InvokeFunction
      Principal: s3.amazonaws.com
      SourceArn: !Sub "arn:${AWS::Partition}:s3:::${AWS::StackName}-${AWS::AccountId}-in"
      SourceAccount: !Ref AWS::AccountId
  InputBucket:
    Type: AWS::S3::Bucket
    DependsOn: Permission
    Properties:
      BucketName: !Sub "${AWS::StackName}-${AWS::AccountId}-in"
      NotificationConfiguration:
        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: !GetAtt Function.Arn
            Filter: {S3Key: {Rules: [{Name: prefix, Value: in/}]}}
  VectorBucket:
    Type: AWS::S3Vectors::VectorBucket
    Condition: WithIndex
    Properties: {VectorBucketName: !Sub "${AWS::StackName}-vectors"}
  VectorIndex:
    Type: AWS::S3Vectors::Index
    Condition: WithIndex
    Properties: {VectorBucketArn: !Ref VectorBucket, IndexName: faces, DataType: float32, Dimension: 128, DistanceMetric: euclidean}
Outputs:
  InputBucket: {Value: !Ref InputBucket}
  FunctionArn: {Value: !GetAtt Function.Arn}
  IndexArn: {Condition: WithIndex, Value: !GetAtt VectorIndex.IndexArn}
`

// TestAWSCLICloudFormationDeploy drives the stock AWS CLI's `cloudformation
// deploy` (change sets and their waiters, with deploy.sh's flags), describe-stacks, delete-stack
// and `wait stack-delete-complete` against the embedded stack, and checks
// that what the stack made works: an upload reaches the function.
func TestAWSCLICloudFormationDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Lambda function")
	}
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI: %v", cli, err)
		}
		t.Skipf("%s not installed", cli)
	}
	zipped := buildFunctionZip(t)
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	s3c, lc := clients(srv)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("code")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("code"), Key: aws.String("fn.zip"), Body: bytes.NewReader(zipped)}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(tmpl, []byte(cfnTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, cli, append(args, "--endpoint-url", srv.Endpoint(), "--region", srv.Region(), "--output", "json")...)
		cmd.Env = append(withoutAWSSettings(os.Environ()), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
			"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
			"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	deploy := func(params ...string) string {
		t.Helper()
		out, err := run(append([]string{"cloudformation", "deploy", "--template-file", tmpl, "--stack-name", "demo",
			"--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset", "--tags", "project=facevec", "--parameter-overrides", "CodeBucket=code"}, params...)...)
		if err != nil {
			t.Fatalf("aws cloudformation deploy %v: %v\n%s", params, err, out)
		}
		return out
	}
	stack := func() map[string]any {
		t.Helper()
		out, err := run("cloudformation", "describe-stacks", "--stack-name", "demo")
		if err != nil {
			t.Fatalf("describe-stacks: %v\n%s", err, out)
		}
		var d struct{ Stacks []map[string]any }
		if err := json.Unmarshal([]byte(out), &d); err != nil || len(d.Stacks) != 1 {
			t.Fatalf("describe-stacks answer %s: %v", out, err)
		}
		return d.Stacks[0]
	}
	outputs := func(st map[string]any) map[string]string {
		m := map[string]string{}
		list, _ := st["Outputs"].([]any)
		for _, o := range list {
			o := o.(map[string]any)
			m[o["OutputKey"].(string)] = o["OutputValue"].(string)
		}
		return m
	}

	// deploy/lib.sh's preflight: which account is this?
	if out, err := run("sts", "get-caller-identity", "--query", "Account"); err != nil || strings.TrimSpace(out) != `"000000000000"` {
		t.Fatalf("sts get-caller-identity: %v\n%s", err, out)
	}

	deploy()
	st := stack()
	if st["StackStatus"] != "CREATE_COMPLETE" {
		t.Fatalf("after deploy: %v (%v)", st["StackStatus"], st["StackStatusReason"])
	}
	if tags, _ := st["Tags"].([]any); len(tags) != 1 || tags[0].(map[string]any)["Key"] != "project" {
		t.Fatalf("stack tags %v, want project=facevec", st["Tags"])
	}
	outs := outputs(st)
	if outs["InputBucket"] != "demo-000000000000-in" || !strings.HasSuffix(outs["IndexArn"], ":bucket/demo-vectors/index/faces") {
		t.Fatalf("outputs %v", outs)
	}
	cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("demo-fn")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(cfg.MemorySize) != 256 || cfg.Environment.Variables["INDEX"] != outs["IndexArn"] || cfg.Environment.Variables["STACK"] != "demo" {
		t.Fatalf("function configuration: memory %d env %v", aws.ToInt32(cfg.MemorySize), cfg.Environment.Variables)
	}
	// EphemeralStorage is sent (the template has it) but not checked: the
	// stand-in's Lambda reports 512 MiB whatever CreateFunction asked.
	if len(cfg.Architectures) != 1 || cfg.Architectures[0] != "x86_64" || aws.ToInt32(cfg.Timeout) != 30 {
		t.Fatalf("function configuration: architectures %v timeout %d", cfg.Architectures, aws.ToInt32(cfg.Timeout))
	}
	if conc, err := lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("demo-fn")}); err != nil || aws.ToInt32(conc.ReservedConcurrentExecutions) != 2 {
		t.Fatalf("reserved concurrency: %v %+v", err, conc)
	}
	if eic, err := lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("demo-fn"), Qualifier: aws.String("$LATEST")}); err != nil || aws.ToInt32(eic.MaximumRetryAttempts) != 0 {
		t.Fatalf("event invoke config: %v %+v", err, eic)
	}
	if pol, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("demo-fn")}); err != nil || !strings.Contains(aws.ToString(pol.Policy), "arn:aws:s3:::demo-000000000000-in") {
		t.Fatalf("function policy: %v %+v", err, pol)
	}
	if role, ok := srv.CloudFormationResources().Roles.Role(*cfg.Role); !ok || len(role.Policies["rw"]) == 0 {
		t.Fatalf("role %s not kept with its policy: %+v", *cfg.Role, role)
	}

	// What the stack made works: an upload under in/ reaches the function.
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(outs["InputBucket"]), Key: aws.String("in/a.jpg"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	waitForObject(ctx, t, s3c, outs["InputBucket"], "processed/in/a.jpg.json", srv)

	// An update: memory changes in place; the index goes away.
	deploy("Memory=512", "Index=off")
	st = stack()
	if st["StackStatus"] != "UPDATE_COMPLETE" {
		t.Fatalf("after update: %v (%v)", st["StackStatus"], st["StackStatusReason"])
	}
	cfg, err = lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("demo-fn")})
	if err != nil || aws.ToInt32(cfg.MemorySize) != 512 || cfg.Environment.Variables["INDEX"] != "" {
		t.Fatalf("function after update: %v memory %d env %v", err, aws.ToInt32(cfg.MemorySize), cfg.Environment.Variables)
	}
	if _, ok := outputs(st)["IndexArn"]; ok {
		t.Fatalf("IndexArn output after Index=off: %v", outputs(st))
	}
	if out := deploy("Memory=512", "Index=off"); !strings.Contains(out, "No changes to deploy") {
		t.Fatalf("deploy without changes said:\n%s", out)
	}

	// The input bucket holds the upload and the report: CloudFormation does
	// not empty it, so the delete fails naming it, and the waiter says so.
	if out, err := run("cloudformation", "delete-stack", "--stack-name", "demo"); err != nil {
		t.Fatalf("delete-stack: %v\n%s", err, out)
	}
	out, err := run("cloudformation", "wait", "stack-delete-complete", "--stack-name", "demo")
	if err == nil || !strings.Contains(out, "DELETE_FAILED") {
		t.Fatalf("wait stack-delete-complete with a non-empty bucket: %v\n%s", err, out)
	}
	events, _ := run("cloudformation", "describe-stack-events", "--stack-name", "demo")
	if !strings.Contains(events, "The following resource(s) failed to delete: [InputBucket]. ") {
		t.Fatalf("stack events lack the failed bucket:\n%s", events)
	}
	for _, k := range []string{"in/a.jpg", "processed/in/a.jpg.json"} {
		if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(outs["InputBucket"]), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := run("cloudformation", "delete-stack", "--stack-name", "demo"); err != nil {
		t.Fatalf("delete-stack: %v\n%s", err, out)
	}
	if out, err := run("cloudformation", "wait", "stack-delete-complete", "--stack-name", "demo"); err != nil {
		t.Fatalf("wait stack-delete-complete: %v\n%s", err, out)
	}
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("demo-fn")}); err == nil {
		t.Fatal("the function outlived its stack")
	}
	if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(outs["InputBucket"])}); err == nil {
		t.Fatal("the input bucket outlived its stack")
	}
	if out, err := run("cloudformation", "describe-stacks", "--stack-name", "demo"); err == nil || !strings.Contains(out, "Stack with id demo does not exist") {
		t.Fatalf("describe-stacks after delete: %v\n%s", err, out)
	}
}

// withoutAWSSettings drops the caller's AWS_* variables (profile, region,
// endpoint, credentials), so the CLI talks to the test's stack only.
func withoutAWSSettings(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "AWS_") {
			out = append(out, e)
		}
	}
	return out
}
