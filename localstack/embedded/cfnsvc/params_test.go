package cfnsvc

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const paramsTemplate = `
Parameters:
  Detector: {Type: String, Default: hog, AllowedValues: [hog, cnn]}
  Memory: {Type: Number, Default: 1024, MinValue: 128, MaxValue: 10240}
  Prefix: {Type: String, Default: out/, AllowedPattern: "[a-z]+/", MaxLength: 10}
  Secret: {Type: String, NoEcho: true, Default: s3cr3t}
  Subnets: {Type: CommaDelimitedList, Default: "a, b"}
  Required: {Type: String}
  Namespace: {Type: String, Default: "", AllowedPattern: "^$|^(?!AWS/)[ -~]{1,255}$"}
Resources:
  A: {Type: T::T}
`

func TestResolveParameters(t *testing.T) {
	tmpl, err := ParseTemplate(paramsTemplate)
	if err != nil {
		t.Fatal(err)
	}
	got, err := resolveParameters(tmpl, []ParameterInput{{Key: "Required", Value: "x"}, {Key: "Memory", Value: "2048"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Detector": "hog", "Memory": "2048", "Prefix": "out/", "Secret": "s3cr3t", "Subnets": "a, b", "Required": "x", "Namespace": ""}
	for k, v := range want {
		if got[k].Text != v {
			t.Errorf("%s = %q, want %q", k, got[k].Text, v)
		}
	}
	if !got["Secret"].NoEcho || got["Detector"].NoEcho {
		t.Errorf("NoEcho: Secret %v Detector %v, want true false", got["Secret"].NoEcho, got["Detector"].NoEcho)
	}
	if !reflect.DeepEqual(got["Subnets"].Ref, []any{"a", "b"}) {
		t.Errorf("Subnets Ref = %#v, want [a b]", got["Subnets"].Ref)
	}

	prev := got
	again, err := resolveParameters(tmpl, []ParameterInput{{Key: "Required", UsePreviousValue: true}, {Key: "Memory", UsePreviousValue: true}}, prev)
	if err != nil {
		t.Fatal(err)
	}
	if again["Memory"].Text != "2048" || again["Required"].Text != "x" {
		t.Errorf("UsePreviousValue: Memory %q Required %q, want 2048 x", again["Memory"].Text, again["Required"].Text)
	}
}

func TestResolveParametersRefusals(t *testing.T) {
	tmpl, err := ParseTemplate(paramsTemplate)
	if err != nil {
		t.Fatal(err)
	}
	req := ParameterInput{Key: "Required", Value: "x"}
	cases := []struct {
		name string
		in   []ParameterInput
		want string
	}{
		{"missing", nil, "Parameters: [Required] must have values"},
		{"undeclared", []ParameterInput{req, {Key: "Nope", Value: "1"}}, "Parameters: [Nope] do not exist in the template"},
		{"not allowed", []ParameterInput{req, {Key: "Detector", Value: "mmod"}}, "Parameter 'Detector' must be one of AllowedValues"},
		{"not a number", []ParameterInput{req, {Key: "Memory", Value: "lots"}}, "Parameter 'Memory' must be a number"},
		{"too small", []ParameterInput{req, {Key: "Memory", Value: "64"}}, "Parameter 'Memory' must be a number not less than 128"},
		{"too large", []ParameterInput{req, {Key: "Memory", Value: "99999"}}, "not greater than 10240"},
		{"pattern", []ParameterInput{req, {Key: "Prefix", Value: "Out/"}}, "must match pattern [a-z]+/"},
		{"too long", []ParameterInput{req, {Key: "Prefix", Value: "abcdefghijk/"}}, "at most 10 characters"},
		// Java's lookahead, which CloudFormation's patterns may use (template.yaml's MetricsNamespace).
		{"lookahead", []ParameterInput{req, {Key: "Namespace", Value: "AWS/Lambda"}}, "must match pattern ^$|^(?!AWS/)"},
		{"previous of nothing", []ParameterInput{{Key: "Required", UsePreviousValue: true}}, "Cannot specify usePreviousValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := resolveParameters(tmpl, c.in, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrValidation) {
				t.Fatalf("err %v, want ValidationError containing %q", err, c.want)
			}
		})
	}
}

func TestCreationOrder(t *testing.T) {
	tmpl, err := ParseTemplate(`
Resources:
  Function: {Type: T::T, Properties: {Role: !GetAtt Role.Arn, Logs: !Ref LogGroup}}
  Permission: {Type: T::T, Properties: {FunctionName: !Ref Function}}
  Bucket: {Type: T::T, DependsOn: Permission, Properties: {Target: !Sub "${Function.Arn}"}}
  Role: {Type: T::T}
  LogGroup: {Type: T::T}
`)
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]bool{}
	for k := range tmpl.Resources {
		all[k] = true
	}
	got, err := creationOrder(tmpl, all)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"LogGroup", "Role", "Function", "Permission", "Bucket"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
}

func TestCreationOrderCycle(t *testing.T) {
	tmpl, err := ParseTemplate("Resources:\n  A: {Type: T::T, Properties: {P: !Ref B}}\n  B: {Type: T::T, DependsOn: A}\n  C: {Type: T::T}\n")
	if err != nil {
		t.Fatal(err)
	}
	_, err = creationOrder(tmpl, map[string]bool{"A": true, "B": true, "C": true})
	if err == nil || !strings.Contains(err.Error(), "Circular dependency between resources: [A, B]") {
		t.Fatalf("err %v, want a cycle naming A and B", err)
	}
}
