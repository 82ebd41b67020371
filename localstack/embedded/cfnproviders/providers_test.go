package cfnproviders_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/facevec/facevec/localstack/embedded"
)

func startStack(t *testing.T) (*embedded.Server, *cfn.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := embedded.Start(ctx, embedded.WithAddr("127.0.0.1:0"), embedded.WithWorkDir(t.TempDir()),
		embedded.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, cfn.New(cfn.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
}

// settle polls until the stack leaves the in-progress states.
func settle(t *testing.T, c *cfn.Client, name string) types.Stack {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		out, err := c.DescribeStacks(context.Background(), &cfn.DescribeStacksInput{StackName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeStacks %s: %v", name, err)
		}
		if st := out.Stacks[0]; !strings.HasSuffix(string(st.StackStatus), "_IN_PROGRESS") || time.Now().After(deadline) {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func failureOf(t *testing.T, c *cfn.Client, stack, logical string) string {
	t.Helper()
	ev, err := c.DescribeStackEvents(context.Background(), &cfn.DescribeStackEventsInput{StackName: aws.String(stack)})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ev.StackEvents {
		if aws.ToString(e.LogicalResourceId) == logical && e.ResourceStatus == types.ResourceStatusCreateFailed {
			return aws.ToString(e.ResourceStatusReason)
		}
	}
	return ""
}

func TestPropertiesRefused(t *testing.T) {
	_, c := startStack(t)
	cases := []struct{ name, resource, want string }{
		{"unknown bucket property", "{Type: AWS::S3::Bucket, Properties: {Versioning: on}}", "#: extraneous key [Versioning] is not permitted"},
		{"queue notification", "{Type: AWS::S3::Bucket, Properties: {NotificationConfiguration: {QueueConfigurations: [{Event: \"s3:ObjectCreated:*\", Queue: \"arn:aws:sqs:us-east-1:000000000000:q\"}]}}}", "no SQS"},
		{"log retention", "{Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: 8}}", "#/RetentionInDays: 8 is not a valid enum value"},
		{"role without trust policy", "{Type: AWS::IAM::Role, Properties: {Path: /}}", "#: required key [AssumeRolePolicyDocument] not found"},
		{"role path", "{Type: AWS::IAM::Role, Properties: {Path: x, AssumeRolePolicyDocument: {}}}", "string must begin and end with /"},
		{"inline code", "{Type: AWS::Lambda::Function, Properties: {Role: r, Code: {ZipFile: x}}}", "Code.ZipFile and Code.ImageUri are not served"},
		{"memory not a number", "{Type: AWS::Lambda::Function, Properties: {Role: r, MemorySize: lots, Code: {S3Bucket: b, S3Key: k}}}", "expected an integer"},
		{"code missing", "{Type: AWS::Lambda::Function, Properties: {Role: r, Code: {S3Bucket: nope, S3Key: k}}}", "create function"},
		{"index dimension", "{Type: AWS::S3Vectors::Index, Properties: {VectorBucketName: nope, IndexName: ix, DataType: float32, Dimension: 5000, DistanceMetric: cosine}}", "create vector index ix"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "refused" + string(rune('a'+i))
			body := "Resources:\n  Thing: " + tc.resource + "\n"
			if _, err := c.CreateStack(context.Background(), &cfn.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(body),
				Capabilities: []types.Capability{types.CapabilityCapabilityIam}}); err != nil {
				t.Fatal(err)
			}
			st := settle(t, c, name)
			if st.StackStatus != types.StackStatusRollbackComplete {
				t.Fatalf("stack %s (%s), want ROLLBACK_COMPLETE", st.StackStatus, aws.ToString(st.StackStatusReason))
			}
			if got := failureOf(t, c, name, "Thing"); !strings.Contains(got, tc.want) {
				t.Fatalf("Thing CREATE_FAILED reason %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

func TestVectorsAndNumbersFromParameters(t *testing.T) {
	srv, c := startStack(t)
	body := `
Parameters:
  Dim: {Type: Number, Default: 128}
Resources:
  Bucket: {Type: AWS::S3Vectors::VectorBucket, Properties: {VectorBucketName: vb-one}}
  Index:
    Type: AWS::S3Vectors::Index
    Properties: {VectorBucketArn: !Ref Bucket, IndexName: faces, DataType: float32, Dimension: !Ref Dim, DistanceMetric: euclidean}
Outputs:
  Index: {Value: !Ref Index}
`
	ctx := context.Background()
	if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("vec"), TemplateBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
	st := settle(t, c, "vec")
	if st.StackStatus != types.StackStatusCreateComplete {
		t.Fatalf("stack %s (%s)", st.StackStatus, aws.ToString(st.StackStatusReason))
	}
	vc := s3vectors.New(s3vectors.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	ix, err := vc.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String("vb-one"), IndexName: aws.String("faces")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(ix.Index.Dimension) != 128 || ix.Index.DistanceMetric != "euclidean" || aws.ToString(ix.Index.IndexArn) != aws.ToString(st.Outputs[0].OutputValue) {
		t.Fatalf("index %+v, output %s", ix.Index, aws.ToString(st.Outputs[0].OutputValue))
	}
	if _, err := c.DeleteStack(ctx, &cfn.DeleteStackInput{StackName: aws.String("vec")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeStacks(ctx, &cfn.DescribeStacksInput{StackName: st.StackId}); err != nil {
		t.Fatal(err)
	}
	if _, err := vc.GetVectorBucket(ctx, &s3vectors.GetVectorBucketInput{VectorBucketName: aws.String("vb-one")}); err == nil {
		t.Fatal("the vector bucket outlived its stack")
	}
}
