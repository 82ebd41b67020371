package deploy

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Long-form intrinsics, as Parse returns them, for comparisons.

func ref(name string) any { return map[string]any{"Ref": name} }

func getAtt(res, attr string) any { return map[string]any{"Fn::GetAtt": []any{res, attr}} }

func sub(s string) any { return map[string]any{"Fn::Sub": s} }

func subVars(s string, vars map[string]any) any {
	return map[string]any{"Fn::Sub": []any{s, vars}}
}

func ifFn(cond string, yes, no any) any { return map[string]any{"Fn::If": []any{cond, yes, no}} }

// canon renders a parsed value as canonical JSON (sorted keys), so two
// values compare as strings and print readably in failures.
func canon(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

func same(a, b any) bool { return canon(a) == canon(b) }

// at walks nested mappings; nil when a step is missing or not a mapping.
func at(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func mapping(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// list accepts what CloudFormation accepts where a list is expected: a
// list, or a single value.
func list(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		return []any{v}
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// num reads a number the way CloudFormation does: 2, "2" and 2.0 agree.
func num(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	case uint64:
		if v > math.MaxInt64 {
			return 0, false
		}
		return int64(v), true
	case float64:
		if v != math.Trunc(v) {
			return 0, false
		}
		return int64(v), true
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

var subVarRE = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// refs lists the logical IDs v refers to through Ref, GetAtt and Sub, in
// the resources map rs (parameters and pseudo parameters are left out).
func refs(v any, rs map[string]any) []string {
	var out []string
	add := func(name string) {
		if _, ok := rs[name]; ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			if len(v) == 1 {
				if name, ok := v["Ref"].(string); ok {
					add(name)
					return
				}
				if ga := list(v["Fn::GetAtt"]); len(ga) > 0 {
					add(fmt.Sprint(ga[0]))
					return
				}
				if s, ok := v["Fn::Sub"]; ok {
					text, vars := "", map[string]any(nil)
					switch s := s.(type) {
					case string:
						text = s
					case []any:
						if len(s) > 0 {
							text, _ = s[0].(string)
						}
						if len(s) > 1 {
							vars = mapping(s[1])
						}
					}
					for _, m := range subVarRE.FindAllStringSubmatch(text, -1) {
						name, _, _ := strings.Cut(m[1], ".")
						if _, isVar := vars[name]; !isVar {
							add(name)
						}
					}
					for _, x := range vars {
						walk(x)
					}
					return
				}
			}
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	slices.Sort(out)
	return out
}
