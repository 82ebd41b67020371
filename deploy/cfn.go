package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrTemplate is wrapped by every error about the template's text: bad
// YAML, an unknown tag, a duplicate key.
var ErrTemplate = errors.New("invalid template")

// shortForms maps CloudFormation's short-form tags to the key of the
// equivalent long form ({"Fn::Sub": …}). The list is the full set AWS
// documents, so a valid template never fails to parse.
var shortForms = map[string]string{
	"!Ref":          "Ref",
	"!Condition":    "Condition",
	"!Base64":       "Fn::Base64",
	"!Cidr":         "Fn::Cidr",
	"!FindInMap":    "Fn::FindInMap",
	"!GetAtt":       "Fn::GetAtt",
	"!GetAZs":       "Fn::GetAZs",
	"!ImportValue":  "Fn::ImportValue",
	"!Join":         "Fn::Join",
	"!Select":       "Fn::Select",
	"!Split":        "Fn::Split",
	"!Sub":          "Fn::Sub",
	"!Transform":    "Fn::Transform",
	"!And":          "Fn::And",
	"!Equals":       "Fn::Equals",
	"!If":           "Fn::If",
	"!Not":          "Fn::Not",
	"!Or":           "Fn::Or",
	"!Length":       "Fn::Length",
	"!ToJsonString": "Fn::ToJsonString",
}

// Parse decodes a CloudFormation template written in YAML (JSON is YAML
// too) into plain Go values: map[string]any, []any, string, int, float64,
// bool, nil. Short-form intrinsics become their long form, so `!Ref X` and
// `{Ref: X}` read the same, and `!GetAtt A.B` becomes
// {"Fn::GetAtt": ["A", "B"]}. Unknown "!" tags and duplicate keys are
// errors (CloudFormation rejects both), as is anything but a mapping at
// the top.
func Parse(data []byte) (map[string]any, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrTemplate)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: the top level is not a mapping", ErrTemplate)
	}
	v, err := convert(doc.Content[0], 0)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// maxDepth bounds recursion on hostile input (deeply nested flow
// sequences); real templates nest a dozen levels at most.
const maxDepth = 200

func convert(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: line %d: nested more than %d levels", ErrTemplate, n.Line, maxDepth)
	}
	if n.Kind == yaml.AliasNode {
		return convert(n.Alias, depth+1)
	}
	if tag := n.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		return convertShort(n, depth)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrTemplate, n.Line, err)
		}
		return v, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convert(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, vn := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%w: line %d: a mapping key is not a scalar", ErrTemplate, k.Line)
			}
			if k.Value == "<<" {
				return nil, fmt.Errorf("%w: line %d: YAML merge keys (<<) are not supported by CloudFormation", ErrTemplate, k.Line)
			}
			if _, dup := out[k.Value]; dup {
				return nil, fmt.Errorf("%w: line %d: key %q appears twice", ErrTemplate, k.Line, k.Value)
			}
			v, err := convert(vn, depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: line %d: unexpected YAML node kind %d", ErrTemplate, n.Line, n.Kind)
}

// convertShort turns a short-form intrinsic into its long form.
func convertShort(n *yaml.Node, depth int) (any, error) {
	key, ok := shortForms[n.Tag]
	if !ok {
		return nil, fmt.Errorf("%w: line %d: unknown tag %s (not a CloudFormation intrinsic function)", ErrTemplate, n.Line, n.Tag)
	}
	var arg any
	if n.Kind == yaml.ScalarNode {
		// The argument of a tagged scalar is its text: `!Ref 1` names "1".
		arg = n.Value
		if key == "Fn::GetAtt" {
			res, attr, ok := strings.Cut(n.Value, ".")
			if !ok || res == "" || attr == "" {
				return nil, fmt.Errorf("%w: line %d: !GetAtt %q: want Resource.Attribute", ErrTemplate, n.Line, n.Value)
			}
			arg = []any{res, attr}
		}
	} else {
		plain := *n
		plain.Tag = ""
		v, err := convert(&plain, depth+1)
		if err != nil {
			return nil, err
		}
		arg = v
	}
	if (key == "Ref" || key == "Condition") && !isString(arg) {
		return nil, fmt.Errorf("%w: line %d: %s takes a name, not %T", ErrTemplate, n.Line, n.Tag, arg)
	}
	return map[string]any{key: arg}, nil
}

func isString(v any) bool { _, ok := v.(string); return ok }
