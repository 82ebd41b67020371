package deploy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseShortForms(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       any
	}{
		{"ref", "v: !Ref Bucket", ref("Bucket")},
		{"long ref", "v: {Ref: Bucket}", ref("Bucket")},
		{"sub", `v: !Sub "arn:${AWS::Partition}:s3:::${B}"`, sub("arn:${AWS::Partition}:s3:::${B}")},
		{"sub with vars", "v: !Sub\n  - ${X}/*\n  - X: !Ref Y", subVars("${X}/*", map[string]any{"X": ref("Y")})},
		{"getatt dotted", "v: !GetAtt Fn.Arn", getAtt("Fn", "Arn")},
		{"getatt nested attribute", "v: !GetAtt Db.Endpoint.Address", getAtt("Db", "Endpoint.Address")},
		{"getatt list", "v: !GetAtt [Fn, Arn]", getAtt("Fn", "Arn")},
		{"if", "v: !If [C, a, !Ref B]", ifFn("C", "a", ref("B"))},
		{"equals", `v: !Equals [!Ref P, ""]`, map[string]any{"Fn::Equals": []any{ref("P"), ""}}},
		{"not", "v: !Not [!Condition C]", map[string]any{"Fn::Not": []any{map[string]any{"Condition": "C"}}}},
		{"join", "v: !Join [',', [a, b]]", map[string]any{"Fn::Join": []any{",", []any{"a", "b"}}}},
		{"select split", "v: !Select [0, !Split ['/', !Ref P]]",
			map[string]any{"Fn::Select": []any{0, map[string]any{"Fn::Split": []any{"/", ref("P")}}}}},
		{"tagged scalar stays text", "v: !Ref 123", ref("123")},
		{"plain scalars typed", "v: [1, true, x, null, 2.5]", []any{1, true, "x", nil, 2.5}},
		{"standard tag", "v: !!str 123", "123"},
		{"anchor and alias", "a: &x !Ref B\nv: *x", ref("B")},
		{"json", `{"v": {"Fn::GetAtt": ["Fn", "Arn"]}}`, getAtt("Fn", "Arn")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse([]byte(c.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !same(got["v"], c.want) {
				t.Errorf("v = %s, want %s", canon(got["v"]), canon(c.want))
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown tag", "v: !Reff X", "unknown tag !Reff"},
		{"getatt without attribute", "v: !GetAtt Fn", "want Resource.Attribute"},
		{"ref of a list", "v: !Ref [a, b]", "takes a name"},
		{"duplicate key", "a: 1\na: 2", `key "a" appears twice`},
		{"not a mapping", "- a\n- b", "not a mapping"},
		{"empty", "", "invalid template"},
		{"two documents", "a: 1\n---\nb: 2", "more than one"},
		{"bad yaml", "a: [1, 2", "invalid template"},
		{"merge key", "base: &b {x: 1}\nv:\n  <<: *b", "merge keys"},
		{"deep nesting", "v: " + strings.Repeat("[", 300) + strings.Repeat("]", 300), "nested more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrTemplate mentioning %q", err, c.want)
			}
		})
	}
}

// TestPackage: the packaged template is the template with only the
// function's Code and the nested stack's TemplateURL changed, short-form
// tags and all.
func TestPackage(t *testing.T) {
	src := readTemplate(t)
	const nestedURL = "https://s3.eu-west-1.amazonaws.com/code-bucket/facevec/4567cdef.template"
	out, err := Package(src, "code-bucket", "facevec/0123abcd.zip", WithTemplateURL("vectors.yaml", nestedURL))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(out)
	if err != nil {
		t.Fatalf("packaged template does not parse: %v\n%s", err, out)
	}
	wantCode := map[string]any{"S3Bucket": "code-bucket", "S3Key": "facevec/0123abcd.zip"}
	if code := at(got, "Resources", idFunction, "Properties", "Code"); !same(code, wantCode) {
		t.Errorf("Code = %s, want %s", canon(code), canon(wantCode))
	}
	if u := at(got, "Resources", idFaceIndexStack, "Properties", "TemplateURL"); u != nestedURL {
		t.Errorf("TemplateURL = %v, want %s", u, nestedURL)
	}
	// Everything else is unchanged.
	mapping(at(orig, "Resources", idFunction, "Properties"))["Code"] = wantCode
	props(orig, idFaceIndexStack)["TemplateURL"] = nestedURL
	if !same(got, orig) {
		t.Errorf("packaging changed more than Code:\n%s", out)
	}
	if !strings.Contains(string(out), "!GetAtt") || !strings.Contains(string(out), "!Sub") {
		t.Errorf("short-form tags were not kept:\n%s", out)
	}
}

func TestPackageRejects(t *testing.T) {
	cases := []struct{ name, yaml, bucket, key, want string }{
		{"no bucket", "Resources: {}", "", "k", "empty S3 bucket or key"},
		{"no resources", "A: 1", "b", "k", "no Resources"},
		{"no function", "Resources: {Q: {Type: AWS::SQS::Queue}}", "b", "k", "no AWS::Lambda::Function with a local Code path"},
		{"already packaged", "Resources: {F: {Type: AWS::Lambda::Function, Properties: {Code: {S3Bucket: x, S3Key: y}}}}", "b", "k", "no AWS::Lambda::Function with a local Code path"},
		{"function without code", "Resources: {F: {Type: AWS::Lambda::Function, Properties: {}}}", "b", "k", "has no Code"},
		{"bad yaml", "Resources: [", "b", "k", "invalid template"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Package([]byte(c.yaml), c.bucket, c.key)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}
