package cfnsvc

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// TestDeployTemplateResolves runs the project's real template
// (deploy/template.yaml) through the engine with a recording provider for
// every type it declares: every intrinsic function, condition and output
// must resolve for each combination of the switches deploy.sh passes, and
// the conditions must pick the resources they are meant to.
// It says nothing about the providers; it catches a function or form the
// engine does not evaluate, before a deploy does.
func TestDeployTemplateResolves(t *testing.T) {
	body, err := os.ReadFile("../../../deploy/template.yaml")
	if err != nil {
		t.Skipf("deploy/template.yaml: %v", err)
	}
	tmpl, err := ParseTemplate(string(body))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{live: map[string]map[string]any{}}
	opts := []Option{WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	types_ := map[string]bool{}
	for _, r := range tmpl.Resources {
		types_[r.Type] = true
	}
	for typ := range types_ {
		opts = append(opts, WithProvider(typ, rec))
	}
	svc := New(opts...)
	srv := httptest.NewServer(svc)
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	c := cfn.New(cfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})

	// The switches deploy.sh passes, and resources each must (+) or must
	// not (-) make.
	combos := []struct {
		params map[string]string
		expect []string
	}{
		// The index and its vector bucket are a nested stack (deploy/vectors.yaml),
		// made only when the stack creates them (not in an existing vector bucket).
		{map[string]string{}, []string{"+InputBucket", "+FaceIndexStack", "-IngestQueue"}},
		{map[string]string{"ExistingInputBucket": "photos-in", "VectorIndex": ""}, []string{"-InputBucket", "-FaceIndexStack"}},
		{map[string]string{"BufferWithQueue": "true", "ReservedConcurrency": "5", "PermissionsBoundary": "arn:aws:iam::000000000000:policy/boundary"},
			[]string{"+IngestQueue", "+IngestEventSourceMapping", "+InputBucket"}},
		{map[string]string{"ExistingVectorBucket": "vectors-elsewhere"}, []string{"-FaceIndexStack", "+EncoderFunction"}},
	}
	for i, combo := range combos {
		var params []types.Parameter
		keys := make([]string, 0, len(combo.params))
		for k := range combo.params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, declared := tmpl.Parameters[k]; !declared {
				t.Fatalf("deploy/template.yaml has no parameter %s any more: update this test", k)
			}
			params = append(params, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(combo.params[k])})
		}
		before := len(rec.calls())
		name := "deploy-" + string(rune('a'+i))
		_, err := c.CreateStack(context.Background(), &cfn.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(string(body)),
			Parameters: params, Capabilities: []types.Capability{types.CapabilityCapabilityNamedIam}})
		if err != nil {
			t.Fatalf("%v: CreateStack: %s", combo.params, apiCode(err))
		}
		st := waitStatus(t, c, name, types.StackStatusCreateComplete)
		if len(st.Outputs) == 0 {
			t.Fatalf("%v: no outputs", combo.params)
		}
		made := map[string]bool{}
		for _, call := range rec.calls()[before:] {
			made[strings.TrimPrefix(call, "create ")] = true
		}
		for _, e := range combo.expect {
			if _, declared := tmpl.Resources[e[1:]]; !declared {
				t.Fatalf("deploy/template.yaml has no resource %s any more: update this test", e[1:])
			}
			if made[e[1:]] != (e[0] == '+') {
				t.Errorf("%v: %s made = %v", combo.params, e[1:], made[e[1:]])
			}
		}
		for _, o := range st.Outputs {
			if strings.Contains(aws.ToString(o.OutputValue), "${") {
				t.Errorf("%v: output %s = %q still holds a variable", combo.params, aws.ToString(o.OutputKey), aws.ToString(o.OutputValue))
			}
		}
	}
}
