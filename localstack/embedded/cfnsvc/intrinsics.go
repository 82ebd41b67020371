package cfnsvc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// ErrResolve is wrapped by every error resolving an intrinsic function.
var ErrResolve = errors.New("Template error")

// noValue is what Ref AWS::NoValue evaluates to: the property or list
// element holding it is dropped.
type noValue struct{}

// pseudoParameterNames are the AWS:: names Ref accepts without a
// declaration.
var pseudoParameterNames = map[string]struct{}{
	"AWS::AccountId": {}, "AWS::NotificationARNs": {}, "AWS::NoValue": {}, "AWS::Partition": {},
	"AWS::Region": {}, "AWS::StackId": {}, "AWS::StackName": {}, "AWS::URLSuffix": {},
}

// scope is what a template's expressions are evaluated against: the
// pseudo-parameters, the stack's parameter values, its conditions and the
// resources created so far.
type scope struct {
	tmpl   *Template
	pseudo map[string]any
	params map[string]any // string, or []any for list types
	// resource answers Ref (attr "") and Fn::GetAtt for a logical ID;
	// ok false means the resource does not exist (yet, or at all).
	resource func(logicalID, attr string) (any, bool, error)

	conds     map[string]bool
	condBusy  map[string]bool
	condError map[string]error
}

func newScope(t *Template, pseudo, params map[string]any, resource func(string, string) (any, bool, error)) *scope {
	return &scope{tmpl: t, pseudo: pseudo, params: params, resource: resource,
		conds: map[string]bool{}, condBusy: map[string]bool{}, condError: map[string]error{}}
}

// condition evaluates the named condition once.
func (s *scope) condition(name string) (bool, error) {
	if v, ok := s.conds[name]; ok {
		return v, nil
	}
	if err, ok := s.condError[name]; ok {
		return false, err
	}
	expr, ok := s.tmpl.Conditions[name]
	if !ok {
		return false, fmt.Errorf("%w: Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", ErrTemplate, name)
	}
	if s.condBusy[name] {
		return false, fmt.Errorf("%w: Circular dependency between conditions: [%s]", ErrTemplate, name)
	}
	s.condBusy[name] = true
	v, err := s.eval(expr)
	delete(s.condBusy, name)
	if err == nil {
		var b bool
		b, err = asBool(v, "Condition "+name)
		if err == nil {
			s.conds[name] = b
			return b, nil
		}
	}
	err = fmt.Errorf("condition %s: %w", name, err)
	s.condError[name] = err
	return false, err
}

// holds reports whether a resource's or output's Condition holds (no
// condition always does).
func (s *scope) holds(name string) (bool, error) {
	if name == "" {
		return true, nil
	}
	return s.condition(name)
}

// eval resolves every intrinsic function in v. A map with one key that
// names a function is that function; everything else is data, resolved
// element by element, with AWS::NoValue elements dropped.
func (s *scope) eval(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if fn, ok := functions[k]; ok {
					return fn(s, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			r, err := s.eval(x[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, drop := r.(noValue); !drop {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for i, e := range x {
			r, err := s.eval(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if _, drop := r.(noValue); !drop {
				out = append(out, r)
			}
		}
		return out, nil
	default:
		return v, nil
	}
}

type function func(s *scope, arg any) (any, error)

var functions map[string]function

func init() {
	functions = map[string]function{
		"Ref":           fnRef,
		"Fn::GetAtt":    fnGetAtt,
		"Fn::Sub":       fnSub,
		"Fn::Join":      fnJoin,
		"Fn::Select":    fnSelect,
		"Fn::Split":     fnSplit,
		"Fn::If":        fnIf,
		"Fn::Equals":    fnEquals,
		"Fn::And":       fnAnd,
		"Fn::Or":        fnOr,
		"Fn::Not":       fnNot,
		"Fn::FindInMap": fnFindInMap,
		"Fn::Base64":    fnBase64,
		"Condition":     fnCondition,
	}
}

func fnRef(s *scope, arg any) (any, error) {
	name, ok := arg.(string)
	if !ok {
		return nil, fmt.Errorf("%w: Ref takes a name, not %T", ErrTemplate, arg)
	}
	if name == "AWS::NoValue" {
		return noValue{}, nil
	}
	if v, ok := s.pseudo[name]; ok {
		return v, nil
	}
	if v, ok := s.params[name]; ok {
		return v, nil
	}
	v, ok, err := s.resource(name, "")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: Unresolved resource dependencies [%s] in the Resources block of the template", ErrResolve, name)
	}
	return v, nil
}

func fnGetAtt(s *scope, arg any) (any, error) {
	var res, attr string
	switch a := arg.(type) {
	case string: // !GetAtt Res.Attr
		res, attr, _ = strings.Cut(a, ".")
	case []any:
		if len(a) == 2 {
			res, _ = a[0].(string)
			v, err := s.eval(a[1])
			if err != nil {
				return nil, err
			}
			attr, _ = v.(string)
		}
	}
	if res == "" || attr == "" {
		return nil, fmt.Errorf("%w: Fn::GetAtt takes [resource, attribute], not %v", ErrTemplate, arg)
	}
	return s.getAtt(res, attr)
}

func (s *scope) getAtt(res, attr string) (any, error) {
	if _, declared := s.tmpl.Resources[res]; !declared {
		return nil, fmt.Errorf("%w: Unresolved resource dependencies [%s] in the Resources block of the template", ErrTemplate, res)
	}
	v, ok, err := s.resource(res, attr)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: resource %s has no attribute %s for Fn::GetAtt (or does not exist)", ErrResolve, res, attr)
	}
	return v, nil
}

// subVar matches ${Name}, ${Res.Attr} and the literal ${!Text}.
var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func fnSub(s *scope, arg any) (any, error) {
	var text string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("%w: Fn::Sub takes a string or [string, {variables}]", ErrTemplate)
		}
		t, ok := a[0].(string)
		m, ok2 := a[1].(map[string]any)
		if !ok || !ok2 {
			return nil, fmt.Errorf("%w: Fn::Sub takes a string or [string, {variables}]", ErrTemplate)
		}
		text = t
		for k, e := range m {
			v, err := s.eval(e)
			if err != nil {
				return nil, fmt.Errorf("Fn::Sub variable %s: %w", k, err)
			}
			vars[k] = v
		}
	default:
		return nil, fmt.Errorf("%w: Fn::Sub takes a string or [string, {variables}], not %T", ErrTemplate, arg)
	}
	var failed error
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := strings.TrimSpace(m[2 : len(m)-1])
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var v any
		var err error
		if bound, ok := vars[name]; ok {
			v = bound
		} else if res, attr, dotted := strings.Cut(name, "."); dotted && !strings.HasPrefix(name, "AWS::") {
			v, err = s.getAtt(res, attr)
		} else {
			v, err = fnRef(s, name)
		}
		if err == nil {
			var str string
			str, err = asString(v, "Fn::Sub ${"+name+"}")
			v = str
		}
		if err != nil {
			if failed == nil {
				failed = err
			}
			return ""
		}
		return v.(string)
	})
	if failed != nil {
		return nil, failed
	}
	return out, nil
}

func fnJoin(s *scope, arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		return nil, fmt.Errorf("%w: Fn::Join takes [delimiter, [values]]", ErrTemplate)
	}
	delim, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("%w: Fn::Join delimiter must be a string", ErrTemplate)
	}
	list, err := s.evalList(a[1], "Fn::Join")
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(list))
	for i, e := range list {
		if parts[i], err = asString(e, "Fn::Join"); err != nil {
			return nil, err
		}
	}
	return strings.Join(parts, delim), nil
}

func fnSelect(s *scope, arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		return nil, fmt.Errorf("%w: Fn::Select takes [index, [values]]", ErrTemplate)
	}
	iv, err := s.eval(a[0])
	if err != nil {
		return nil, err
	}
	is, err := asString(iv, "Fn::Select index")
	if err != nil {
		return nil, err
	}
	i, err := strconv.Atoi(is)
	if err != nil {
		return nil, fmt.Errorf("%w: Fn::Select index %q is not an integer", ErrTemplate, is)
	}
	list, err := s.evalList(a[1], "Fn::Select")
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(list) {
		return nil, fmt.Errorf("%w: Fn::Select cannot select nonexistent value at index %d", ErrResolve, i)
	}
	return list[i], nil
}

func fnSplit(s *scope, arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		return nil, fmt.Errorf("%w: Fn::Split takes [delimiter, string]", ErrTemplate)
	}
	delim, ok := a[0].(string)
	if !ok || delim == "" {
		return nil, fmt.Errorf("%w: Fn::Split delimiter must be a non-empty string", ErrTemplate)
	}
	v, err := s.eval(a[1])
	if err != nil {
		return nil, err
	}
	str, err := asString(v, "Fn::Split")
	if err != nil {
		return nil, err
	}
	var out []any
	for _, p := range strings.Split(str, delim) {
		out = append(out, p)
	}
	return out, nil
}

func fnIf(s *scope, arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 3 {
		return nil, fmt.Errorf("%w: Fn::If takes [condition, value if true, value if false]", ErrTemplate)
	}
	name, ok := a[0].(string)
	if !ok {
		return nil, fmt.Errorf("%w: Fn::If condition must be a condition name", ErrTemplate)
	}
	b, err := s.condition(name)
	if err != nil {
		return nil, err
	}
	if b {
		return s.eval(a[1])
	}
	return s.eval(a[2])
}

func fnEquals(s *scope, arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		return nil, fmt.Errorf("%w: Fn::Equals takes [value, value]", ErrTemplate)
	}
	l, err := s.eval(a[0])
	if err != nil {
		return nil, err
	}
	r, err := s.eval(a[1])
	if err != nil {
		return nil, err
	}
	return fmt.Sprint(scalarText(l)) == fmt.Sprint(scalarText(r)), nil
}

func fnAnd(s *scope, arg any) (any, error) { return boolFold(s, arg, "Fn::And", true) }
func fnOr(s *scope, arg any) (any, error)  { return boolFold(s, arg, "Fn::Or", false) }

// boolFold evaluates And (all true) or Or (any true) over 2 to 10
// conditions, as CloudFormation allows.
func boolFold(s *scope, arg any, name string, and bool) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) < 2 || len(a) > 10 {
		return nil, fmt.Errorf("%w: %s takes 2 to 10 conditions", ErrTemplate, name)
	}
	for _, e := range a {
		v, err := s.eval(e)
		if err != nil {
			return nil, err
		}
		b, err := asBool(v, name)
		if err != nil {
			return nil, err
		}
		if b != and {
			return !and, nil
		}
	}
	return and, nil
}

func fnNot(s *scope, arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 1 {
		return nil, fmt.Errorf("%w: Fn::Not takes [condition]", ErrTemplate)
	}
	v, err := s.eval(a[0])
	if err != nil {
		return nil, err
	}
	b, err := asBool(v, "Fn::Not")
	return !b, err
}

func fnCondition(s *scope, arg any) (any, error) {
	name, ok := arg.(string)
	if !ok {
		return nil, fmt.Errorf("%w: Condition takes a condition name", ErrTemplate)
	}
	return s.condition(name)
}

func fnFindInMap(s *scope, arg any) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 3 {
		return nil, fmt.Errorf("%w: Fn::FindInMap takes [map, top-level key, second-level key]", ErrTemplate)
	}
	keys := make([]string, 3)
	for i, e := range a {
		v, err := s.eval(e)
		if err != nil {
			return nil, err
		}
		if keys[i], err = asString(v, "Fn::FindInMap"); err != nil {
			return nil, err
		}
	}
	m, ok := s.tmpl.Mappings[keys[0]].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: Mapping named '%s' is not present in the 'Mappings' section of template", ErrTemplate, keys[0])
	}
	top, ok := m[keys[1]].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: Unable to get mapping for %s::%s::%s", ErrResolve, keys[0], keys[1], keys[2])
	}
	v, ok := top[keys[2]]
	if !ok {
		return nil, fmt.Errorf("%w: Unable to get mapping for %s::%s::%s", ErrResolve, keys[0], keys[1], keys[2])
	}
	return v, nil
}

func fnBase64(s *scope, arg any) (any, error) {
	v, err := s.eval(arg)
	if err != nil {
		return nil, err
	}
	str, err := asString(v, "Fn::Base64")
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(str)), nil
}

// evalList evaluates v and wants a list (a literal one, or what a Ref to
// a list parameter, Fn::Split or Fn::GetAtt of a list gives).
func (s *scope) evalList(v any, fn string) ([]any, error) {
	r, err := s.eval(v)
	if err != nil {
		return nil, err
	}
	list, ok := r.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s wants a list, got %T", ErrResolve, fn, r)
	}
	return list, nil
}

// scalarText renders a JSON scalar as CloudFormation compares and joins it:
// numbers without a trailing ".0", booleans as true/false.
func scalarText(v any) any {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return v
}

func asString(v any, where string) (string, error) {
	switch x := scalarText(v).(type) {
	case string:
		return x, nil
	default:
		return "", fmt.Errorf("%w: %s wants a string, got %T", ErrResolve, where, v)
	}
}

func asBool(v any, where string) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		if b, err := strconv.ParseBool(x); err == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("%w: %s wants a condition (true or false), got %v", ErrTemplate, where, v)
}

// referencedNames lists, sorted and once each, the names v refers to with
// Ref, Fn::GetAtt or Fn::Sub (pseudo-parameters excluded; Fn::Sub's own
// variables excluded).
func referencedNames(v any) []string {
	set := map[string]bool{}
	collectReferences(v, set)
	delete(set, "")
	for p := range pseudoParameterNames {
		delete(set, p)
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func collectReferences(v any, set map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if name, ok := x["Ref"].(string); ok {
				set[name] = true
				return
			}
			if arg, ok := x["Fn::GetAtt"]; ok {
				switch a := arg.(type) {
				case string:
					res, _, _ := strings.Cut(a, ".")
					set[res] = true
				case []any:
					if len(a) > 0 {
						if res, ok := a[0].(string); ok {
							set[res] = true
						}
					}
				}
				return
			}
			if arg, ok := x["Fn::Sub"]; ok {
				collectSub(arg, set)
				return
			}
		}
		for _, e := range x {
			collectReferences(e, set)
		}
	case []any:
		for _, e := range x {
			collectReferences(e, set)
		}
	}
}

func collectSub(arg any, set map[string]bool) {
	text, _ := arg.(string)
	bound := map[string]any{}
	if a, ok := arg.([]any); ok && len(a) == 2 {
		text, _ = a[0].(string)
		bound, _ = a[1].(map[string]any)
		collectReferences(a[1], set)
	}
	for _, m := range subVar.FindAllStringSubmatch(text, -1) {
		name := strings.TrimSpace(m[1])
		if strings.HasPrefix(name, "!") {
			continue
		}
		if _, ok := bound[name]; ok {
			continue
		}
		res, _, _ := strings.Cut(name, ".")
		if strings.HasPrefix(name, "AWS::") {
			res = name
		}
		set[res] = true
	}
}
