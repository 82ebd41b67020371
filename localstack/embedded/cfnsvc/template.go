package cfnsvc

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7/intrinsics"
	"go.yaml.in/yaml/v3"
)

// ErrTemplate is wrapped by every error about a template's text or
// structure; the API answers it as CloudFormation's "Template format error".
var ErrTemplate = errors.New("Template format error")

// Template is a parsed CloudFormation template with its intrinsic
// functions in long form ({"Fn::Sub": …}), not yet resolved.
type Template struct {
	Body        string
	Description string
	Parameters  map[string]ParameterDecl
	Mappings    map[string]any
	Conditions  map[string]any
	Resources   map[string]ResourceDecl
	Outputs     map[string]OutputDecl
}

// ParameterDecl is one entry of the Parameters section.
type ParameterDecl struct {
	Type                  string
	Default               any
	AllowedValues         []any
	AllowedPattern        string
	NoEcho                any
	Description           string
	ConstraintDescription string
	MinValue, MaxValue    any
	MinLength, MaxLength  any
}

// ResourceDecl is one entry of the Resources section.
type ResourceDecl struct {
	Type           string
	Properties     map[string]any
	DependsOn      any // a name or a list of names
	Condition      string
	DeletionPolicy string
}

// OutputDecl is one entry of the Outputs section.
type OutputDecl struct {
	Value       any
	Description string
	Condition   string
	Export      any
}

// goformationMu serializes intrinsics.ProcessYAML: it registers its tag
// resolvers in a package-level map on every call, which is not safe for
// concurrent use.
var goformationMu sync.Mutex

// ParseTemplate parses a YAML or JSON template. Short-form intrinsics
// (!Ref, !Sub, !GetAtt A.B, ...) become their long forms through
// goformation; the one short form goformation does not know, !Condition,
// is rewritten here first.
func ParseTemplate(body string) (*Template, error) {
	t, err := parseBody(body)
	if err != nil {
		return nil, err
	}
	if err := t.checkReferences(); err != nil {
		return nil, err
	}
	return t, nil
}

// parseBody parses a template without checking what it refers to.
func parseBody(body string) (*Template, error) {
	if strings.TrimSpace(body) == "" {
		return nil, fmt.Errorf("%w: the template is empty", ErrTemplate)
	}
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(body), &root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	longFormCondition(&root)
	pre, err := yaml.Marshal(&root)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	goformationMu.Lock()
	js, err := intrinsics.ProcessYAML(pre, &intrinsics.ProcessorOptions{NoProcess: true})
	goformationMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	var raw struct {
		Description string                   `json:"Description"`
		Parameters  map[string]ParameterDecl `json:"Parameters"`
		Mappings    map[string]any           `json:"Mappings"`
		Conditions  map[string]any           `json:"Conditions"`
		Resources   map[string]json.RawMessage
		Outputs     map[string]OutputDecl `json:"Outputs"`
	}
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	if len(raw.Resources) == 0 {
		return nil, fmt.Errorf("%w: At least one Resources member must be defined.", ErrTemplate)
	}
	t := &Template{
		Body: body, Description: raw.Description, Parameters: raw.Parameters,
		Mappings: raw.Mappings, Conditions: raw.Conditions, Outputs: raw.Outputs,
		Resources: make(map[string]ResourceDecl, len(raw.Resources)),
	}
	for name, msg := range raw.Resources {
		var r ResourceDecl
		if err := json.Unmarshal(msg, &r); err != nil {
			return nil, fmt.Errorf("%w: resource %s: %v", ErrTemplate, name, err)
		}
		if r.Type == "" {
			return nil, fmt.Errorf("%w: [/Resources/%s] Every Resources object must contain a Type member.", ErrTemplate, name)
		}
		t.Resources[name] = r
	}
	return t, nil
}

// longFormCondition rewrites every `!Condition Name` node into the mapping
// {Condition: Name}.
func longFormCondition(n *yaml.Node) {
	if n.Tag == "!Condition" && n.Kind == yaml.ScalarNode {
		name := *n
		name.Tag = "!!str"
		*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "Condition"}, &name,
		}}
		return
	}
	for _, c := range n.Content {
		longFormCondition(c)
	}
}

// checkReferences fails, as CloudFormation does before creating anything,
// on a Ref, GetAtt or DependsOn naming nothing the template declares, and on
// a resource or output whose Condition is not declared.
func (t *Template) checkReferences() error {
	var unresolved []string
	seen := map[string]bool{}
	note := func(name string) {
		if !seen[name] {
			seen[name] = true
			unresolved = append(unresolved, name)
		}
	}
	known := func(name string) bool {
		if _, ok := t.Resources[name]; ok {
			return true
		}
		if _, ok := t.Parameters[name]; ok {
			return true
		}
		_, ok := pseudoParameterNames[name]
		return ok
	}
	for _, name := range sortedKeys(t.Resources) {
		r := t.Resources[name]
		for _, ref := range referencedNames(r.Properties) {
			if !known(ref) {
				note(ref)
			}
		}
		for _, d := range dependsOnNames(r.DependsOn) {
			if _, ok := t.Resources[d]; !ok {
				note(d)
			}
		}
		if r.Condition != "" {
			if _, ok := t.Conditions[r.Condition]; !ok {
				return fmt.Errorf("%w: Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", ErrTemplate, r.Condition)
			}
		}
	}
	for _, name := range sortedKeys(t.Outputs) {
		for _, ref := range referencedNames(t.Outputs[name].Value) {
			if !known(ref) {
				note(ref)
			}
		}
	}
	if len(unresolved) > 0 {
		return fmt.Errorf("%w: Unresolved resource dependencies [%s] in the Resources block of the template", ErrTemplate, strings.Join(unresolved, ", "))
	}
	return nil
}

// UnknownTypes lists, sorted and once each, the resource types that have
// no entry in known.
func (t *Template) UnknownTypes(known func(string) bool) []string {
	set := map[string]bool{}
	for _, r := range t.Resources {
		if !known(r.Type) {
			set[r.Type] = true
		}
	}
	return sortedKeys(set)
}

func dependsOnNames(v any) []string {
	switch d := v.(type) {
	case string:
		return []string{d}
	case []any:
		var out []string
		for _, e := range d {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
