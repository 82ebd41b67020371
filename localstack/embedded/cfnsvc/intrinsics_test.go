package cfnsvc

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const intrinsicsTemplate = `
Parameters:
  Env: {Type: String, Default: prod}
  Names: {Type: CommaDelimitedList, Default: "a,b,c"}
Mappings:
  Sizes:
    prod: {Memory: 2048}
    dev: {Memory: 512}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [x, x]]
  Either: !Or [!Condition IsDev, !Equals [1, "1"]]
Resources:
  Bucket: {Type: Test::Thing}
`

func testScope(t *testing.T, params map[string]any) *scope {
	t.Helper()
	tmpl, err := ParseTemplate(intrinsicsTemplate)
	if err != nil {
		t.Fatal(err)
	}
	pseudo := map[string]any{"AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012", "AWS::StackName": "demo", "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
	if params == nil {
		params = map[string]any{"Env": "prod", "Names": []any{"a", "b", "c"}}
	}
	return newScope(tmpl, pseudo, params, func(name, attr string) (any, bool, error) {
		if name != "Bucket" {
			return nil, false, nil
		}
		switch attr {
		case "":
			return "demo-bucket-xyz", true, nil
		case "Arn":
			return "arn:aws:s3:::demo-bucket-xyz", true, nil
		}
		return nil, false, nil
	})
}

func TestIntrinsics(t *testing.T) {
	cases := []struct {
		name string
		expr string // YAML, parsed through the template parser
		want any
	}{
		{"Ref parameter", `!Ref Env`, "prod"},
		{"Ref pseudo", `!Ref AWS::Region`, "eu-west-1"},
		{"Ref resource", `!Ref Bucket`, "demo-bucket-xyz"},
		{"Ref list parameter", `!Ref Names`, []any{"a", "b", "c"}},
		{"GetAtt short", `!GetAtt Bucket.Arn`, "arn:aws:s3:::demo-bucket-xyz"},
		{"GetAtt long", `{"Fn::GetAtt": [Bucket, Arn]}`, "arn:aws:s3:::demo-bucket-xyz"},
		{"Sub string", `!Sub "${AWS::StackName}-${AWS::AccountId}-${AWS::Region}-in"`, "demo-123456789012-eu-west-1-in"},
		{"Sub GetAtt and literal", `!Sub "${Bucket.Arn}/* ${!Literal}"`, "arn:aws:s3:::demo-bucket-xyz/* ${Literal}"},
		{"Sub with variables", `!Sub ["${Name}:${Env}", {Name: !Ref Bucket}]`, "demo-bucket-xyz:prod"},
		{"Join", `!Join ["-", [a, !Ref Env, 3]]`, "a-prod-3"},
		{"Join of list parameter", `!Join ["+", !Ref Names]`, "a+b+c"},
		{"Select", `!Select [1, !Ref Names]`, "b"},
		{"Select string index", `!Select ["2", [x, y, z]]`, "z"},
		{"Split", `!Split [",", "p,q"]`, []any{"p", "q"}},
		{"Select of Split", `!Select [0, !Split ["/", "x/y"]]`, "x"},
		{"If true", `!If [IsProd, big, small]`, "big"},
		{"If false", `!If [IsDev, big, small]`, "small"},
		{"Equals", `!Equals [!Ref Env, prod]`, true},
		{"Equals number and string", `!Equals [1, "1"]`, true},
		{"And", `!And [!Condition IsProd, !Condition Both]`, true},
		{"Or", `!Or [!Condition IsDev, !Condition Either]`, true},
		{"Not", `!Not [!Condition IsProd]`, false},
		{"FindInMap", `!FindInMap [Sizes, !Ref Env, Memory]`, float64(2048)},
		{"Base64", `!Base64 hi`, "aGk="},
		{"NoValue drops a property", `{Keep: 1, Drop: !Ref AWS::NoValue}`, map[string]any{"Keep": float64(1)}},
		{"NoValue drops a list element", `[a, !If [IsDev, b, !Ref AWS::NoValue], c]`, []any{"a", "c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := testScope(t, nil)
			expr := parseExpr(t, c.expr)
			got, err := sc.eval(expr)
			if err != nil {
				t.Fatalf("eval %s: %v", c.expr, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("eval %s = %#v, want %#v", c.expr, got, c.want)
			}
		})
	}
}

func TestIntrinsicErrors(t *testing.T) {
	cases := []struct{ name, expr, want string }{
		{"Ref to a resource not created", `!Ref Missing`, "Unresolved resource dependencies [Missing]"},
		{"GetAtt unknown attribute", `!GetAtt Bucket.Nope`, "has no attribute Nope"},
		{"Sub unresolvable", `!Sub "x-${Nope}"`, "Unresolved resource dependencies [Nope]"},
		{"Select out of range", `!Select [5, [a]]`, "nonexistent value at index 5"},
		{"FindInMap missing key", `!FindInMap [Sizes, test, Memory]`, "Unable to get mapping for Sizes::test::Memory"},
		{"FindInMap unknown map", `!FindInMap [Nope, a, b]`, "Mapping named 'Nope' is not present"},
		{"If unknown condition", `!If [Nope, a, b]`, "Unresolved dependencies [Nope]"},
		{"Join of a map", `!Join [",", [{a: b}]]`, "wants a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := testScope(t, nil).eval(parseExpr(t, c.expr))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("eval %s: err %v, want one containing %q", c.expr, err, c.want)
			}
			if !errors.Is(err, ErrTemplate) && !errors.Is(err, ErrResolve) {
				t.Fatalf("eval %s: err %v wraps neither ErrTemplate nor ErrResolve", c.expr, err)
			}
		})
	}
}

func TestConditionCycleIsAnError(t *testing.T) {
	tmpl, err := ParseTemplate("Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources:\n  X: {Type: Test::Thing}\n")
	if err != nil {
		t.Fatal(err)
	}
	sc := newScope(tmpl, nil, nil, func(string, string) (any, bool, error) { return nil, false, nil })
	if _, err := sc.condition("A"); err == nil || !strings.Contains(err.Error(), "Circular dependency between conditions") {
		t.Fatalf("condition A: err %v, want a circular dependency", err)
	}
}

// parseExpr parses one YAML expression as the property of a resource
// (short forms go through goformation), without the reference check.
func parseExpr(t *testing.T, expr string) any {
	t.Helper()
	tmpl, err := parseBody("Resources:\n  R:\n    Type: Test::Thing\n    Properties:\n      V: " + expr + "\n")
	if err != nil {
		t.Fatalf("parse %s: %v", expr, err)
	}
	return tmpl.Resources["R"].Properties["V"]
}

func TestTemplateReferenceChecks(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"Ref to nothing", "Resources:\n  A: {Type: T::T, Properties: {P: !Ref Ghost}}\n", "Unresolved resource dependencies [Ghost]"},
		{"Sub to nothing", "Resources:\n  A: {Type: T::T, Properties: {P: !Sub \"${Ghost.Arn}\"}}\n", "Unresolved resource dependencies [Ghost]"},
		{"DependsOn nothing", "Resources:\n  A: {Type: T::T, DependsOn: [Ghost]}\n", "Unresolved resource dependencies [Ghost]"},
		{"Output to nothing", "Resources:\n  A: {Type: T::T}\nOutputs:\n  O: {Value: !Ref Ghost}\n", "Unresolved resource dependencies [Ghost]"},
		{"undeclared condition", "Resources:\n  A: {Type: T::T, Condition: Nope}\n", "Unresolved dependencies [Nope]"},
		{"no resources", "Parameters: {}\n", "At least one Resources member must be defined"},
		{"no type", "Resources:\n  A: {Properties: {}}\n", "must contain a Type member"},
		{"bad YAML", "Resources: [\n", "Template format error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTemplate(c.body)
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrTemplate) {
				t.Fatalf("ParseTemplate: err %v, want ErrTemplate containing %q", err, c.want)
			}
		})
	}
	// A Sub variable bound in its own map and a pseudo-parameter are not
	// references.
	if _, err := ParseTemplate("Resources:\n  A: {Type: T::T, Properties: {P: !Sub [\"${X}-${AWS::Region}\", {X: y}]}}\n"); err != nil {
		t.Fatalf("ParseTemplate with bound Sub variable: %v", err)
	}
}

func TestParseJSONTemplate(t *testing.T) {
	tmpl, err := ParseTemplate(`{"Resources": {"A": {"Type": "T::T", "Properties": {"P": {"Fn::Sub": "${AWS::Region}"}}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	got := tmpl.Resources["A"].Properties["P"]
	if !reflect.DeepEqual(got, map[string]any{"Fn::Sub": "${AWS::Region}"}) {
		t.Fatalf("JSON property = %#v", got)
	}
}
