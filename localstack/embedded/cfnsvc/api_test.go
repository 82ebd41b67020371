package cfnsvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// recorder is a provider that keeps its resources in memory and logs
// every call ("create A", "update A", "delete A"). A resource with
// property Fail "create" (or "update") fails that call; one whose
// property Replace changes asks for replacement.
type recorder struct {
	mu   sync.Mutex
	log  []string
	live map[string]map[string]any // physical ID -> properties
	n    int
}

func (p *recorder) note(op, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, op+" "+id)
}

func (p *recorder) calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

func (p *recorder) Create(_ context.Context, r Resource) (Created, error) {
	p.note("create", r.LogicalID)
	if r.Properties["Fail"] == "create" {
		return Created{}, fmt.Errorf("Resource handler returned message: \"%s refused\"", r.LogicalID)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	id := fmt.Sprintf("%s-%s-%d", r.StackName, r.LogicalID, p.n)
	p.live[id] = r.Properties
	return Created{PhysicalID: id, Attributes: map[string]any{"Arn": "arn:test:" + id}}, nil
}

func (p *recorder) Update(_ context.Context, r, old Resource) (Created, error) {
	p.note("update", r.LogicalID)
	if r.Properties["Fail"] == "update" {
		return Created{}, errors.New("update refused")
	}
	if fmt.Sprint(r.Properties["Replace"]) != fmt.Sprint(old.Properties["Replace"]) {
		return Created{}, ErrReplacement
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live[old.PhysicalID] = r.Properties
	return Created{PhysicalID: old.PhysicalID, Attributes: map[string]any{"Arn": "arn:test:" + old.PhysicalID}}, nil
}

func (p *recorder) Delete(_ context.Context, r Resource) error {
	p.note("delete", r.LogicalID)
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.live, r.PhysicalID)
	return nil
}

func (p *recorder) props(physicalID string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live[physicalID]
}

func newTestService(t *testing.T) (*cfn.Client, *recorder, *Service) {
	t.Helper()
	rec := &recorder{live: map[string]map[string]any{}}
	svc := New(WithRegion("eu-west-1"), WithAccount("123456789012"), WithProvider("Test::Thing", rec),
		WithProvider("AWS::IAM::Role", rec), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	srv := httptest.NewServer(svc)
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	client := cfn.New(cfn.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	return client, rec, svc
}

const appTemplate = `
Description: test app
Parameters:
  Memory: {Type: Number, Default: 1024}
  WithExtra: {Type: String, Default: "no", AllowedValues: ["yes", "no"]}
Conditions:
  Extra: !Equals [!Ref WithExtra, "yes"]
Resources:
  Role: {Type: Test::Thing}
  Function:
    Type: Test::Thing
    Properties:
      Role: !GetAtt Role.Arn
      Memory: !Ref Memory
      Name: !Sub "${AWS::StackName}-fn"
  Permission:
    Type: Test::Thing
    Properties: {Function: !Ref Function}
  Extra:
    Type: Test::Thing
    Condition: Extra
    Properties: {Function: !Ref Function}
Outputs:
  FunctionArn: {Value: !GetAtt Function.Arn, Description: the function}
  Region: {Value: !Ref AWS::Region}
  ExtraName: {Condition: Extra, Value: !Ref Extra}
`

func waitStatus(t *testing.T, c *cfn.Client, name string, want types.StackStatus) types.Stack {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.DescribeStacks(context.Background(), &cfn.DescribeStacksInput{StackName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeStacks %s: %v", name, err)
		}
		st := out.Stacks[0]
		if st.StackStatus == want {
			return st
		}
		if time.Now().After(deadline) || !strings.HasSuffix(string(st.StackStatus), "_IN_PROGRESS") {
			t.Fatalf("stack %s is %s (%s), want %s", name, st.StackStatus, aws.ToString(st.StackStatusReason), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func outputsOf(st types.Stack) map[string]string {
	m := map[string]string{}
	for _, o := range st.Outputs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return m
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return fmt.Sprint(err)
}

func TestCreateDescribeDelete(t *testing.T) {
	c, rec, _ := newTestService(t)
	ctx := context.Background()
	out, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("demo"), TemplateBody: aws.String(appTemplate),
		Parameters: []types.Parameter{{ParameterKey: aws.String("Memory"), ParameterValue: aws.String("2048")}}})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	if !strings.HasPrefix(aws.ToString(out.StackId), "arn:aws:cloudformation:eu-west-1:123456789012:stack/demo/") {
		t.Fatalf("StackId = %s", aws.ToString(out.StackId))
	}
	st := waitStatus(t, c, "demo", types.StackStatusCreateComplete)
	if got := rec.calls(); !slices.Equal(got, []string{"create Role", "create Function", "create Permission"}) {
		t.Fatalf("provider calls %v, want Role, Function, Permission created in that order (Extra's condition is false)", got)
	}
	outs := outputsOf(st)
	if outs["Region"] != "eu-west-1" || !strings.HasPrefix(outs["FunctionArn"], "arn:test:demo-Function-") || len(outs) != 2 {
		t.Fatalf("outputs %v", outs)
	}
	if aws.ToString(st.Description) != "test app" {
		t.Errorf("Description %q", aws.ToString(st.Description))
	}

	res, err := c.DescribeStackResources(ctx, &cfn.DescribeStackResourcesInput{StackName: aws.String("demo")})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	if len(res.StackResources) != 3 {
		t.Fatalf("%d resources, want 3", len(res.StackResources))
	}
	fn := res.StackResources[0]
	if aws.ToString(fn.LogicalResourceId) != "Function" || fn.ResourceStatus != types.ResourceStatusCreateComplete {
		t.Fatalf("first resource %s %s", aws.ToString(fn.LogicalResourceId), fn.ResourceStatus)
	}
	if p := rec.props(aws.ToString(fn.PhysicalResourceId)); p["Memory"] != "2048" || p["Name"] != "demo-fn" || !strings.HasPrefix(fmt.Sprint(p["Role"]), "arn:test:demo-Role-") {
		t.Fatalf("Function properties %v", p)
	}
	list, err := c.ListStackResources(ctx, &cfn.ListStackResourcesInput{StackName: aws.String("demo")})
	if err != nil || len(list.StackResourceSummaries) != 3 || list.StackResourceSummaries[0].LastUpdatedTimestamp == nil {
		t.Fatalf("ListStackResources: %v %+v", apiCode(err), list)
	}
	tmpl, err := c.GetTemplate(ctx, &cfn.GetTemplateInput{StackName: aws.String("demo")})
	if err != nil || aws.ToString(tmpl.TemplateBody) != appTemplate {
		t.Fatalf("GetTemplate: %v, body equal %v", apiCode(err), aws.ToString(tmpl.TemplateBody) == appTemplate)
	}
	ev, err := c.DescribeStackEvents(ctx, &cfn.DescribeStackEventsInput{StackName: aws.String("demo")})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	first, last := ev.StackEvents[len(ev.StackEvents)-1], ev.StackEvents[0]
	if aws.ToString(first.LogicalResourceId) != "demo" || first.ResourceStatus != types.ResourceStatusCreateInProgress ||
		aws.ToString(last.LogicalResourceId) != "demo" || last.ResourceStatus != types.ResourceStatusCreateComplete {
		t.Fatalf("events: oldest %s %s, newest %s %s", aws.ToString(first.LogicalResourceId), first.ResourceStatus, aws.ToString(last.LogicalResourceId), last.ResourceStatus)
	}

	if _, err := c.DeleteStack(ctx, &cfn.DeleteStackInput{StackName: aws.String("demo")}); err != nil {
		t.Fatal(apiCode(err))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = c.DescribeStacks(ctx, &cfn.DescribeStacksInput{StackName: aws.String("demo")})
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := apiCode(err); got != "ValidationError: Stack with id demo does not exist" {
		t.Fatalf("DescribeStacks of the deleted stack by name: %s", got)
	}
	byID, err := c.DescribeStacks(ctx, &cfn.DescribeStacksInput{StackName: out.StackId})
	if err != nil || byID.Stacks[0].StackStatus != types.StackStatusDeleteComplete {
		t.Fatalf("DescribeStacks by ID after delete: %v", apiCode(err))
	}
	if got := rec.calls()[3:]; !slices.Equal(got, []string{"delete Permission", "delete Function", "delete Role"}) {
		t.Fatalf("delete calls %v, want reverse creation order", got)
	}
}

func TestCreateFailureRollsBack(t *testing.T) {
	c, rec, _ := newTestService(t)
	ctx := context.Background()
	body := strings.Replace(appTemplate, "Properties: {Function: !Ref Function}\n  Extra", "Properties: {Function: !Ref Function, Fail: create}\n  Extra", 1)
	if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("bad"), TemplateBody: aws.String(body)}); err != nil {
		t.Fatal(apiCode(err))
	}
	st := waitStatus(t, c, "bad", types.StackStatusRollbackComplete)
	if got := rec.calls(); !slices.Equal(got, []string{"create Role", "create Function", "create Permission", "delete Function", "delete Role"}) {
		t.Fatalf("provider calls %v", got)
	}
	ev, err := c.DescribeStackEvents(ctx, &cfn.DescribeStackEventsInput{StackName: aws.String("bad")})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	var rollback, failed string
	for _, e := range ev.StackEvents {
		if e.ResourceStatus == types.ResourceStatusRollbackInProgress {
			rollback = aws.ToString(e.ResourceStatusReason)
		}
		if e.ResourceStatus == types.ResourceStatusCreateFailed && aws.ToString(e.LogicalResourceId) == "Permission" {
			failed = aws.ToString(e.ResourceStatusReason)
		}
	}
	if rollback != "The following resource(s) failed to create: [Permission]. Rollback requested by user." {
		t.Errorf("ROLLBACK_IN_PROGRESS reason %q", rollback)
	}
	if !strings.Contains(failed, "Permission refused") {
		t.Errorf("Permission CREATE_FAILED reason %q", failed)
	}
	if len(st.Outputs) != 0 {
		t.Errorf("outputs after rollback: %v", st.Outputs)
	}
	// A rolled-back stack cannot be updated, only deleted: neither
	// directly nor by change set (what `cloudformation deploy` tries).
	_, err = c.UpdateStack(ctx, &cfn.UpdateStackInput{StackName: aws.String("bad"), TemplateBody: aws.String(appTemplate)})
	if !strings.Contains(apiCode(err), "is in ROLLBACK_COMPLETE state and can not be updated") {
		t.Errorf("UpdateStack of a ROLLBACK_COMPLETE stack: %s", apiCode(err))
	}
	_, err = c.CreateChangeSet(ctx, &cfn.CreateChangeSetInput{StackName: aws.String("bad"), ChangeSetName: aws.String("retry"),
		ChangeSetType: types.ChangeSetTypeUpdate, TemplateBody: aws.String(appTemplate)})
	if !strings.Contains(apiCode(err), "ValidationError: Stack:") || !strings.Contains(apiCode(err), "is in ROLLBACK_COMPLETE state and can not be updated") {
		t.Errorf("CreateChangeSet UPDATE of a ROLLBACK_COMPLETE stack: %s", apiCode(err))
	}
}

func TestRefusedBeforeAnythingIsCreated(t *testing.T) {
	c, rec, _ := newTestService(t)
	ctx := context.Background()
	cases := []struct{ name, body, want string }{
		{"unknown types", "Resources:\n  Q: {Type: AWS::SQS::Queue}\n  T: {Type: AWS::SNS::Topic}\n  A: {Type: Test::Thing}\n",
			"ValidationError: Template format error: Unrecognized resource types: [AWS::SNS::Topic, AWS::SQS::Queue]"},
		{"IAM without capability", "Resources:\n  R: {Type: AWS::IAM::Role}\n", "InsufficientCapabilitiesException: Requires capabilities : [CAPABILITY_IAM]"},
		{"named IAM", "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {RoleName: x}}\n", "InsufficientCapabilitiesException: Requires capabilities : [CAPABILITY_NAMED_IAM]"},
		{"bad parameter", appTemplate, "ValidationError: Parameter 'WithExtra' must be one of AllowedValues"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("x"), TemplateBody: aws.String(tc.body),
				Parameters: []types.Parameter{{ParameterKey: aws.String("WithExtra"), ParameterValue: aws.String("maybe")}}})
			if tc.name != "bad parameter" {
				_, err = c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("x"), TemplateBody: aws.String(tc.body)})
			}
			if got := apiCode(err); got != tc.want {
				t.Fatalf("CreateStack: %s, want %s", got, tc.want)
			}
		})
	}
	_, err := c.ValidateTemplate(ctx, &cfn.ValidateTemplateInput{TemplateBody: aws.String(cases[0].body)})
	if got := apiCode(err); got != cases[0].want {
		t.Fatalf("ValidateTemplate: %s", got)
	}
	if len(rec.calls()) != 0 {
		t.Fatalf("provider called: %v", rec.calls())
	}
	v, err := c.ValidateTemplate(ctx, &cfn.ValidateTemplateInput{TemplateBody: aws.String(appTemplate)})
	if err != nil || len(v.Parameters) != 2 || aws.ToString(v.Parameters[0].ParameterKey) != "Memory" || aws.ToString(v.Parameters[0].DefaultValue) != "1024" {
		t.Fatalf("ValidateTemplate: %v %+v", apiCode(err), v)
	}
}

func TestUpdateStack(t *testing.T) {
	c, rec, _ := newTestService(t)
	ctx := context.Background()
	if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("app"), TemplateBody: aws.String(appTemplate)}); err != nil {
		t.Fatal(apiCode(err))
	}
	waitStatus(t, c, "app", types.StackStatusCreateComplete)

	_, err := c.UpdateStack(ctx, &cfn.UpdateStackInput{StackName: aws.String("app"), UsePreviousTemplate: aws.Bool(true),
		Parameters: []types.Parameter{{ParameterKey: aws.String("Memory"), UsePreviousValue: aws.Bool(true)}}})
	if got := apiCode(err); got != "ValidationError: No updates are to be performed." {
		t.Fatalf("UpdateStack without changes: %s", got)
	}

	// Memory changes Function (in place) and adds Extra.
	_, err = c.UpdateStack(ctx, &cfn.UpdateStackInput{StackName: aws.String("app"), UsePreviousTemplate: aws.Bool(true),
		Parameters: []types.Parameter{{ParameterKey: aws.String("Memory"), ParameterValue: aws.String("3008")},
			{ParameterKey: aws.String("WithExtra"), ParameterValue: aws.String("yes")}}})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	st := waitStatus(t, c, "app", types.StackStatusUpdateComplete)
	if got := rec.calls()[3:]; !slices.Equal(got, []string{"update Function", "create Extra"}) {
		t.Fatalf("update calls %v", got)
	}
	if outputsOf(st)["ExtraName"] == "" {
		t.Fatalf("outputs after update %v, want ExtraName", outputsOf(st))
	}
	res, _ := c.DescribeStackResource(ctx, &cfn.DescribeStackResourceInput{StackName: aws.String("app"), LogicalResourceId: aws.String("Function")})
	if p := rec.props(aws.ToString(res.StackResourceDetail.PhysicalResourceId)); p["Memory"] != "3008" {
		t.Fatalf("Function Memory after update %v", p["Memory"])
	}

	// Back to no extra: Extra is deleted in cleanup.
	_, err = c.UpdateStack(ctx, &cfn.UpdateStackInput{StackName: aws.String("app"), UsePreviousTemplate: aws.Bool(true),
		Parameters: []types.Parameter{{ParameterKey: aws.String("Memory"), UsePreviousValue: aws.Bool(true)}}})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	waitStatus(t, c, "app", types.StackStatusUpdateComplete)
	if got := rec.calls()[5:]; !slices.Equal(got, []string{"delete Extra"}) {
		t.Fatalf("calls %v, want Extra deleted", got)
	}
}

func TestUpdateFailureRollsBack(t *testing.T) {
	c, rec, _ := newTestService(t)
	ctx := context.Background()
	if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("app"), TemplateBody: aws.String(appTemplate)}); err != nil {
		t.Fatal(apiCode(err))
	}
	waitStatus(t, c, "app", types.StackStatusCreateComplete)
	body := strings.Replace(appTemplate, "Properties: {Function: !Ref Function}\n  Extra", "Properties: {Function: !Ref Function, Fail: update}\n  Extra", 1)
	_, err := c.UpdateStack(ctx, &cfn.UpdateStackInput{StackName: aws.String("app"), TemplateBody: aws.String(body),
		Parameters: []types.Parameter{{ParameterKey: aws.String("Memory"), ParameterValue: aws.String("512")}}})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	waitStatus(t, c, "app", types.StackStatusUpdateRollbackComplete)
	if got := rec.calls()[3:]; !slices.Equal(got, []string{"update Function", "update Permission", "update Permission", "update Function"}) {
		// The failed resource is restored too: its update may have been partly applied.
		t.Fatalf("calls %v, want Function updated, Permission failing, then both restored newest first", got)
	}
	res, _ := c.DescribeStackResource(ctx, &cfn.DescribeStackResourceInput{StackName: aws.String("app"), LogicalResourceId: aws.String("Function")})
	if p := rec.props(aws.ToString(res.StackResourceDetail.PhysicalResourceId)); p["Memory"] != "1024" {
		t.Fatalf("Function Memory after rollback %v, want 1024", p["Memory"])
	}
	tmpl, _ := c.GetTemplate(ctx, &cfn.GetTemplateInput{StackName: aws.String("app")})
	if aws.ToString(tmpl.TemplateBody) != appTemplate {
		t.Fatal("template after a rolled-back update is not the previous one")
	}
}

func TestUpdateReplacement(t *testing.T) {
	c, rec, _ := newTestService(t)
	ctx := context.Background()
	body := "Resources:\n  A: {Type: Test::Thing, Properties: {Replace: one}}\nOutputs:\n  Id: {Value: !Ref A}\n"
	if _, err := c.CreateStack(ctx, &cfn.CreateStackInput{StackName: aws.String("r"), TemplateBody: aws.String(body)}); err != nil {
		t.Fatal(apiCode(err))
	}
	before := outputsOf(waitStatus(t, c, "r", types.StackStatusCreateComplete))["Id"]
	if _, err := c.UpdateStack(ctx, &cfn.UpdateStackInput{StackName: aws.String("r"), TemplateBody: aws.String(strings.Replace(body, "one", "two", 1))}); err != nil {
		t.Fatal(apiCode(err))
	}
	after := outputsOf(waitStatus(t, c, "r", types.StackStatusUpdateComplete))["Id"]
	if before == after || rec.props(before) != nil || rec.props(after)["Replace"] != "two" {
		t.Fatalf("replacement: before %s after %s, calls %v", before, after, rec.calls())
	}
	if got := rec.calls()[1:]; !slices.Equal(got, []string{"update A", "create A", "delete A"}) {
		t.Fatalf("calls %v", got)
	}
}

func TestChangeSets(t *testing.T) {
	c, rec, _ := newTestService(t)
	ctx := context.Background()
	cs, err := c.CreateChangeSet(ctx, &cfn.CreateChangeSetInput{StackName: aws.String("cs"), ChangeSetName: aws.String("first"),
		ChangeSetType: types.ChangeSetTypeCreate, TemplateBody: aws.String(appTemplate)})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	review := waitStatus(t, c, "cs", types.StackStatusReviewInProgress)
	if aws.ToString(review.StackId) != aws.ToString(cs.StackId) {
		t.Fatalf("StackId %s vs %s", aws.ToString(review.StackId), aws.ToString(cs.StackId))
	}
	d, err := c.DescribeChangeSet(ctx, &cfn.DescribeChangeSetInput{ChangeSetName: cs.Id})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	if d.Status != types.ChangeSetStatusCreateComplete || d.ExecutionStatus != types.ExecutionStatusAvailable || len(d.Changes) != 3 ||
		d.Changes[0].ResourceChange.Action != types.ChangeActionAdd {
		t.Fatalf("DescribeChangeSet %s %s %d changes", d.Status, d.ExecutionStatus, len(d.Changes))
	}
	if len(rec.calls()) != 0 {
		t.Fatalf("a change set created resources before execution: %v", rec.calls())
	}
	if _, err := c.ExecuteChangeSet(ctx, &cfn.ExecuteChangeSetInput{ChangeSetName: aws.String("first"), StackName: aws.String("cs")}); err != nil {
		t.Fatal(apiCode(err))
	}
	waitStatus(t, c, "cs", types.StackStatusCreateComplete)

	// The same template again: FAILED with the reason the CLI looks for.
	empty, err := c.CreateChangeSet(ctx, &cfn.CreateChangeSetInput{StackName: aws.String("cs"), ChangeSetName: aws.String("again"),
		ChangeSetType: types.ChangeSetTypeUpdate, TemplateBody: aws.String(appTemplate)})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	d, _ = c.DescribeChangeSet(ctx, &cfn.DescribeChangeSetInput{ChangeSetName: empty.Id})
	if d.Status != types.ChangeSetStatusFailed || !strings.Contains(aws.ToString(d.StatusReason), "The submitted information didn't contain changes.") {
		t.Fatalf("empty change set: %s %q", d.Status, aws.ToString(d.StatusReason))
	}
	if _, err := c.DeleteChangeSet(ctx, &cfn.DeleteChangeSetInput{ChangeSetName: empty.Id}); err != nil {
		t.Fatal(apiCode(err))
	}
	_, err = c.DescribeChangeSet(ctx, &cfn.DescribeChangeSetInput{ChangeSetName: empty.Id})
	if !strings.HasPrefix(apiCode(err), "ChangeSetNotFound: ChangeSet [") {
		t.Fatalf("DescribeChangeSet after delete: %s", apiCode(err))
	}

	upd, err := c.CreateChangeSet(ctx, &cfn.CreateChangeSetInput{StackName: aws.String("cs"), ChangeSetName: aws.String("mem"),
		TemplateBody: aws.String(appTemplate), Parameters: []types.Parameter{{ParameterKey: aws.String("Memory"), ParameterValue: aws.String("4096")}}})
	if err != nil {
		t.Fatal(apiCode(err))
	}
	d, _ = c.DescribeChangeSet(ctx, &cfn.DescribeChangeSetInput{ChangeSetName: upd.Id})
	if len(d.Changes) != 1 || aws.ToString(d.Changes[0].ResourceChange.LogicalResourceId) != "Function" || d.Changes[0].ResourceChange.Action != types.ChangeActionModify {
		t.Fatalf("update change set changes %+v", d.Changes)
	}
	if _, err := c.ExecuteChangeSet(ctx, &cfn.ExecuteChangeSetInput{ChangeSetName: upd.Id}); err != nil {
		t.Fatal(apiCode(err))
	}
	waitStatus(t, c, "cs", types.StackStatusUpdateComplete)
	if got := rec.calls()[3:]; !slices.Equal(got, []string{"update Function"}) {
		t.Fatalf("calls %v", got)
	}
	_, err = c.ExecuteChangeSet(ctx, &cfn.ExecuteChangeSetInput{ChangeSetName: upd.Id})
	if !strings.HasPrefix(apiCode(err), "InvalidChangeSetStatus: ") {
		t.Fatalf("second ExecuteChangeSet: %s", apiCode(err))
	}
}

func TestGetTemplateSummaryAndUnknownAction(t *testing.T) {
	c, _, svc := newTestService(t)
	ctx := context.Background()
	s, err := c.GetTemplateSummary(ctx, &cfn.GetTemplateSummaryInput{TemplateBody: aws.String(appTemplate)})
	if err != nil || len(s.Parameters) != 2 || aws.ToString(s.Parameters[0].ParameterType) != "Number" || len(s.ResourceTypes) != 1 {
		t.Fatalf("GetTemplateSummary: %v %+v", apiCode(err), s)
	}
	rr := httptest.NewRecorder()
	svc.ServeHTTP(rr, httptest.NewRequest("POST", "/?Action=ListExports", nil))
	if rr.Code != 400 || !strings.Contains(rr.Body.String(), "<Code>InvalidAction</Code>") {
		t.Fatalf("unknown action: %d %s", rr.Code, rr.Body.String())
	}
}
