//go:build e2e

package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/facevec/facevec/localstack"
	"github.com/facevec/facevec/localstack/provision"
	"github.com/facevec/facevec/result"
)

// TestLocalStackDeploy deploys template.yaml through the CloudFormation
// API on LocalStack, the way deploy.sh does on AWS (package, then create
// the stack), uploads the smoke photo and waits for its result. Needs a
// Docker engine and dist/function.zip (make package; or FACEVEC_ZIP):
//
//	FACEVEC_ZIP=$PWD/dist/function.zip go test -tags e2e -count=1 -v -run LocalStack ./deploy/
func TestLocalStackDeploy(t *testing.T) {
	// LocalStack itself, for its CloudFormation: facevec/stack:dev does not
	// serve CloudFormation.
	if err := localstack.ProbeLocalStack(context.Background()); err != nil {
		t.Skipf("LocalStack cannot run here: %v", err)
	}
	zipPath := os.Getenv("FACEVEC_ZIP")
	if zipPath == "" {
		zipPath = filepath.Join("..", "dist", "function.zip")
	}
	zip, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatalf("the function package: %v (build it with make package, or set FACEVEC_ZIP)", err)
	}
	template := readTemplate(t)
	photo, err := os.ReadFile(filepath.Join("..", "fixtures", "people", "grace hopper.jpg"))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 18*time.Minute)
	defer cancel()
	st, err := localstack.Start(ctx,
		localstack.WithBackend(localstack.BackendLocalStack),
		localstack.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))),
		// The harness's default services lack SQS, which holds the
		// template's failed-event queue.
		localstack.WithContainerEnv(map[string]string{"SERVICES": "s3,lambda,iam,sts,cloudformation,logs,sqs"}),
	)
	if err != nil {
		t.Fatalf("start LocalStack: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close LocalStack: %v", err)
		}
	})
	s3c, cf := st.S3(), cloudformation.NewFromConfig(st.AWSConfig())

	// What `aws cloudformation package` does: the zip to S3, the template
	// pointed at it.
	const codeBucket, codeKey, stack = "facevec-e2e-code", "facevec-e2e/function.zip", "facevec-e2e"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(codeBucket)}); err != nil {
		t.Fatalf("create code bucket: %v", err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(codeBucket), Key: aws.String(codeKey),
		Body: bytes.NewReader(zip), ContentLength: aws.Int64(int64(len(zip))),
	}); err != nil {
		t.Fatalf("upload %s: %v", zipPath, err)
	}
	// The nested index template, as deploy.sh uploads it: not created
	// here (VectorIndex is empty), but its TemplateURL must still be a URL.
	const nestedKey = "facevec-e2e/vectors.template"
	nested := []byte(mustRead(t, vectorsTemplateFile))
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(codeBucket), Key: aws.String(nestedKey),
		Body: bytes.NewReader(nested), ContentLength: aws.Int64(int64(len(nested))),
	}); err != nil {
		t.Fatalf("upload %s: %v", vectorsTemplateFile, err)
	}
	body, err := Package(template, codeBucket, codeKey,
		WithTemplateURL(vectorsTemplateFile, strings.TrimSuffix(st.Endpoint(), "/")+"/"+codeBucket+"/"+nestedKey))
	if err != nil {
		t.Fatal(err)
	}

	if _, err := cf.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(stack),
		TemplateBody: aws.String(string(body)),
		Capabilities: []cftypes.Capability{cftypes.CapabilityCapabilityIam},
		OnFailure:    cftypes.OnFailureDoNothing, // keep the events for the log below
		Parameters: []cftypes.Parameter{
			{ParameterKey: aws.String("MaxSide"), ParameterValue: aws.String("1600")},
			// LocalStack has no S3 Vectors (see localstack.Stack.ServesS3Vectors).
			{ParameterKey: aws.String("VectorIndex"), ParameterValue: aws.String("")},
		},
	}); err != nil {
		t.Fatalf("create stack: %v", err)
	}
	t.Cleanup(func() { deleteStack(t, s3c, cf, stack) })
	if err := cloudformation.NewStackCreateCompleteWaiter(cf).Wait(ctx,
		&cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, 10*time.Minute); err != nil {
		logStackFailures(t, cf, stack)
		t.Fatalf("stack %s not created: %v", stack, err)
	}
	outs := describeOutputs(t, cf, stack)
	t.Logf("stack outputs: %v", outs)
	in, out, prefix := outs["InputBucketName"], outs["OutputBucketName"], outs["OutputPrefix"]

	// The trigger: every suffix on the input bucket, nothing on the output.
	for bucket, want := range map[string]int{in: len(provision.DefaultSuffixes), out: 0} {
		nc, err := s3c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("notification configuration of %s: %v", bucket, err)
		}
		if got := len(nc.LambdaFunctionConfigurations); got != want {
			t.Errorf("%s has %d Lambda notifications, want %d", bucket, got, want)
		}
	}

	const key = "people/grace hopper.jpg"
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(in), Key: aws.String(key),
		Body: bytes.NewReader(photo), ContentLength: aws.Int64(int64(len(photo))),
	}); err != nil {
		t.Fatalf("upload photo: %v", err)
	}
	res := waitResult(ctx, t, st, outs["FunctionName"], out, prefix+in+"/"+key+".json")
	if res.Error != nil {
		t.Fatalf("result error %s: %s", res.Error.Code, res.Error.Message)
	}
	if res.Source.Bucket != in || res.Source.Key != key {
		t.Errorf("source %s/%s, want %s/%s", res.Source.Bucket, res.Source.Key, in, key)
	}
	if len(res.Faces) != 1 || len(res.Faces[0].Descriptor) != result.DescriptorLen {
		t.Fatalf("%d faces: want one with a %d-value descriptor", len(res.Faces), result.DescriptorLen)
	}
	golden := goldenHopper(t)
	var want result.Result
	if raw, err := json.Marshal(golden); err != nil || json.Unmarshal(raw, &want) != nil {
		t.Fatalf("golden result: %v", err)
	}
	if d := result.Distance(res.Faces[0].Descriptor, want.Faces[0].Descriptor); d > 0.05 {
		t.Errorf("descriptor %.4f from the golden one, want ≤ 0.05", d)
	}
	t.Logf("face %+v, descriptor[0:4] %v", res.Faces[0].Box, res.Faces[0].Descriptor[:4])
}

func describeOutputs(t *testing.T, cf *cloudformation.Client, stack string) map[string]string {
	t.Helper()
	d, err := cf.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil || len(d.Stacks) != 1 {
		t.Fatalf("describe stack %s: %v", stack, err)
	}
	outs := map[string]string{}
	for _, o := range d.Stacks[0].Outputs {
		outs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return outs
}

// waitResult polls for the result object; on timeout the function's log
// goes into the failure.
func waitResult(ctx context.Context, t *testing.T, st *localstack.Stack, function, bucket, key string) *result.Result {
	t.Helper()
	deadline := time.Now().Add(8 * time.Minute) // a cold LocalStack Lambda pulls its runtime image
	for {
		obj, err := st.S3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err == nil {
			data, rerr := io.ReadAll(obj.Body)
			obj.Body.Close()
			if rerr != nil {
				t.Fatalf("read s3://%s/%s: %v", bucket, key, rerr)
			}
			var r result.Result
			if err := json.Unmarshal(data, &r); err != nil {
				t.Fatalf("s3://%s/%s is not a result: %v\n%s", bucket, key, err, data)
			}
			return &r
		}
		var nsk *s3types.NoSuchKey
		if !errors.As(err, &nsk) {
			t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("no s3://%s/%s after waiting; function log:\n%s", bucket, key, st.FunctionLogs(function))
		}
		time.Sleep(2 * time.Second)
	}
}

func logStackFailures(t *testing.T, cf *cloudformation.Client, stack string) {
	t.Helper()
	ev, err := cf.DescribeStackEvents(context.Background(), &cloudformation.DescribeStackEventsInput{StackName: aws.String(stack)})
	if err != nil {
		t.Logf("describe stack events: %v", err)
		return
	}
	for _, e := range ev.StackEvents {
		if strings.HasSuffix(string(e.ResourceStatus), "FAILED") {
			t.Logf("%s %s: %s", aws.ToString(e.LogicalResourceId), e.ResourceStatus, aws.ToString(e.ResourceStatusReason))
		}
	}
}

// deleteStack does what undeploy.sh does: empty the stack's buckets, then
// delete the stack and wait for it to go.
func deleteStack(t *testing.T, s3c *s3.Client, cf *cloudformation.Client, stack string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := cf.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack)})
	if err != nil {
		t.Errorf("list stack resources: %v", err)
		return
	}
	for _, r := range res.StackResourceSummaries {
		if aws.ToString(r.ResourceType) != "AWS::S3::Bucket" || aws.ToString(r.PhysicalResourceId) == "" {
			continue
		}
		bucket := aws.ToString(r.PhysicalResourceId)
		p := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Errorf("list %s: %v", bucket, err)
				break
			}
			for _, o := range page.Contents {
				if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key}); err != nil {
					t.Errorf("delete s3://%s/%s: %v", bucket, aws.ToString(o.Key), err)
				}
			}
		}
	}
	if _, err := cf.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(stack)}); err != nil {
		t.Errorf("delete stack: %v", err)
		return
	}
	if err := cloudformation.NewStackDeleteCompleteWaiter(cf).Wait(ctx,
		&cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, 4*time.Minute); err != nil {
		logStackFailures(t, cf, stack)
		t.Errorf("stack %s not deleted: %v", stack, err)
	}
}

// testLogWriter sends the harness's slog output to the test log.
