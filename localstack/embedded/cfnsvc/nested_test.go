package cfnsvc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

const childTemplate = `
Parameters:
  Name: {Type: String}
Resources:
  Inner: {Type: Test::Thing, Properties: {Name: !Ref Name}}
Outputs:
  InnerArn: {Value: !GetAtt Inner.Arn}
`

const parentTemplate = `
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: https://s3.eu-west-1.amazonaws.com/templates/child.yaml
      Parameters: {Name: !Sub "${AWS::StackName}-inner"}
  User: {Type: Test::Thing, Properties: {Uses: !GetAtt Child.Outputs.InnerArn}}
Outputs:
  ChildArn: {Value: !GetAtt Child.Outputs.InnerArn}
`

func TestNestedStack(t *testing.T) {
	rec := &recorder{live: map[string]map[string]any{}}
	fetched := []string{}
	svc := New(WithRegion("eu-west-1"), WithProvider("Test::Thing", rec), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		WithTemplateFetcher(func(_ context.Context, bucket, key string) ([]byte, error) {
			fetched = append(fetched, bucket+"/"+key)
			if bucket == "templates" && key == "child.yaml" {
				return []byte(childTemplate), nil
			}
			return nil, fmt.Errorf("NoSuchKey: %s/%s", bucket, key)
		}))
	srv := httptest.NewServer(svc)
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	c := cfn.New(cfn.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	ctx := context.Background()

	if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("parent"), TemplateBody: aws.String(parentTemplate)}); err != nil {
		t.Fatal(apiCode(err))
	}
	st := waitStatus(t, c, "parent", types.StackStatusCreateComplete)
	arn := outputsOf(st)["ChildArn"]
	if !strings.HasPrefix(arn, "arn:test:parent-Child-") || !slices.Equal(fetched, []string{"templates/child.yaml"}) {
		t.Fatalf("ChildArn %q, fetched %v", arn, fetched)
	}
	all, err := c.DescribeStacks(ctx, &cfn.DescribeStacksInput{})
	if err != nil || len(all.Stacks) != 2 {
		t.Fatalf("DescribeStacks: %v, %d stacks, want parent and child", apiCode(err), len(all.Stacks))
	}
	if got := rec.calls(); !slices.Equal(got, []string{"create Inner", "create User"}) {
		t.Fatalf("calls %v", got)
	}
	if _, err := c.DeleteStack(ctx, &cfn.DeleteStackInput{StackName: aws.String("parent")}); err != nil {
		t.Fatal(apiCode(err))
	}
	all, _ = c.DescribeStacks(ctx, &cfn.DescribeStacksInput{})
	if len(all.Stacks) != 0 || !slices.Equal(rec.calls()[2:], []string{"delete User", "delete Inner"}) {
		t.Fatalf("after delete: %d stacks, calls %v", len(all.Stacks), rec.calls())
	}

	// A child that cannot be read fails the parent, which rolls back.
	bad := strings.Replace(parentTemplate, "child.yaml", "missing.yaml", 1)
	if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("orphan"), TemplateBody: aws.String(bad)}); err != nil {
		t.Fatal(apiCode(err))
	}
	st = waitStatus(t, c, "orphan", types.StackStatusRollbackComplete)
	ev, _ := c.DescribeStackEvents(ctx, &cfn.DescribeStackEventsInput{StackName: aws.String("orphan")})
	found := false
	for _, e := range ev.StackEvents {
		if aws.ToString(e.LogicalResourceId) == "Child" && e.ResourceStatus == types.ResourceStatusCreateFailed &&
			strings.Contains(aws.ToString(e.ResourceStatusReason), "TemplateURL must reference a valid S3 object") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no CREATE_FAILED event for Child naming the template URL (stack %s)", st.StackStatus)
	}
}
