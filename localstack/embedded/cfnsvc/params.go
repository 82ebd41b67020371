package cfnsvc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
)

// ErrValidation is wrapped by every error CloudFormation answers with its
// ValidationError code (bad parameters, unknown stack, wrong state).
var ErrValidation = errors.New("ValidationError")

// ParameterInput is one Parameters.member.N of a request.
type ParameterInput struct {
	Key              string
	Value            string
	UsePreviousValue bool
}

// paramValue is a resolved parameter: its text as given and, for
// Ref, its value (a string, or []any for list types).
type paramValue struct {
	Text   string
	Ref    any
	NoEcho bool
}

// resolveParameters applies CloudFormation's rules: every given key must be
// declared; a value given, else the previous value when asked for, else the
// default; then the declared constraints.
func resolveParameters(t *Template, in []ParameterInput, previous map[string]paramValue) (map[string]paramValue, error) {
	given := map[string]ParameterInput{}
	var undeclared []string
	for _, p := range in {
		if _, ok := t.Parameters[p.Key]; !ok {
			undeclared = append(undeclared, p.Key)
			continue
		}
		given[p.Key] = p
	}
	if len(undeclared) > 0 {
		return nil, fmt.Errorf("%w: Parameters: [%s] do not exist in the template", ErrValidation, strings.Join(undeclared, ", "))
	}
	out := map[string]paramValue{}
	var missing []string
	for _, name := range sortedKeys(t.Parameters) {
		decl := t.Parameters[name]
		var text string
		p, ok := given[name]
		switch {
		case ok && p.UsePreviousValue:
			prev, had := previous[name]
			if !had {
				return nil, fmt.Errorf("%w: Invalid input for parameter key %s. Cannot specify usePreviousValue as true for a parameter key not in the previous template", ErrValidation, name)
			}
			text = prev.Text
		case ok:
			text = p.Value
		case decl.Default != nil:
			text, _ = asString(decl.Default, "Default")
			if l, isList := decl.Default.([]any); isList {
				parts := make([]string, len(l))
				for i, e := range l {
					parts[i] = fmt.Sprint(scalarText(e))
				}
				text = strings.Join(parts, ",")
			}
		default:
			missing = append(missing, name)
			continue
		}
		v, err := checkParameter(name, decl, text)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: Parameters: [%s] must have values", ErrValidation, strings.Join(missing, ", "))
	}
	return out, nil
}

func checkParameter(name string, d ParameterDecl, text string) (paramValue, error) {
	v := paramValue{Text: text, Ref: text}
	if b, err := asBool(d.NoEcho, ""); err == nil {
		v.NoEcho = b
	}
	fail := func(format string, args ...any) (paramValue, error) {
		msg := fmt.Sprintf(format, args...)
		if d.ConstraintDescription != "" {
			msg = d.ConstraintDescription
		}
		return paramValue{}, fmt.Errorf("%w: Parameter '%s' %s", ErrValidation, name, msg)
	}
	isList := d.Type == "CommaDelimitedList" || strings.HasPrefix(d.Type, "List<")
	var items []string
	if isList {
		var list []any
		for _, e := range strings.Split(text, ",") {
			items = append(items, strings.TrimSpace(e))
			list = append(list, strings.TrimSpace(e))
		}
		if text == "" {
			items, list = nil, []any{}
		}
		v.Ref = list
	} else {
		items = []string{text}
	}
	switch d.Type {
	case "String", "CommaDelimitedList", "Number", "List<Number>":
	case "":
		return paramValue{}, fmt.Errorf("%w: Parameter '%s' has no Type", ErrTemplate, name)
	default:
		if !strings.HasPrefix(d.Type, "AWS::") && !strings.HasPrefix(d.Type, "List<AWS::") {
			return paramValue{}, fmt.Errorf("%w: Unrecognized parameter type: %s", ErrTemplate, d.Type)
		}
	}
	numeric := d.Type == "Number" || d.Type == "List<Number>"
	for _, item := range items {
		if len(d.AllowedValues) > 0 {
			allowed := false
			for _, a := range d.AllowedValues {
				if fmt.Sprint(scalarText(a)) == item {
					allowed = true
				}
			}
			if !allowed {
				return fail("must be one of AllowedValues")
			}
		}
		if d.AllowedPattern != "" {
			// CloudFormation's patterns are Java regular expressions, which
			// have lookaround ("^(?!AWS/)…") that Go's RE2 syntax lacks;
			// regexp2 has it. The whole value must match, as there.
			re, err := regexp2.Compile("^(?:"+d.AllowedPattern+")$", regexp2.None)
			if err != nil {
				return paramValue{}, fmt.Errorf("%w: Parameter '%s' AllowedPattern: %v", ErrTemplate, name, err)
			}
			re.MatchTimeout = time.Second
			if ok, err := re.MatchString(item); err != nil || !ok {
				return fail("failed to satisfy constraint: Parameter must match pattern %s", d.AllowedPattern)
			}
		}
		if numeric {
			n, err := strconv.ParseFloat(item, 64)
			if err != nil {
				return fail("must be a number")
			}
			if lo, ok := number(d.MinValue); ok && n < lo {
				return fail("must be a number not less than %v", scalarText(lo))
			}
			if hi, ok := number(d.MaxValue); ok && n > hi {
				return fail("must be a number not greater than %v", scalarText(hi))
			}
		} else {
			if lo, ok := number(d.MinLength); ok && float64(len(item)) < lo {
				return fail("must contain at least %v characters", scalarText(lo))
			}
			if hi, ok := number(d.MaxLength); ok && float64(len(item)) > hi {
				return fail("must contain at most %v characters", scalarText(hi))
			}
		}
	}
	return v, nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}
