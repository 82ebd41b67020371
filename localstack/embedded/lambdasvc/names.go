package lambdasvc

import (
	"regexp"
	"strings"
)

// latest is the only version the stand-in has; versions and aliases are not
// supported.
const latest = "$LATEST"

// functionNamePattern is Lambda's rule for names; it also keeps names safe
// to use as a directory under WorkDir.
var functionNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// functionRef is a parsed FunctionName parameter.
type functionRef struct {
	name      string
	qualifier string // "" or what followed the name
}

// parseFunctionRef accepts the forms Lambda does: NAME, NAME:QUALIFIER,
// ACCOUNT:function:NAME[:QUALIFIER] and
// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]. An ARN for
// another region or account cannot name one of our functions.
func (s *Service) parseFunctionRef(v string) (functionRef, *apiError) {
	parts := strings.Split(v, ":")
	var ref functionRef
	switch {
	case len(parts) <= 2:
		ref.name = parts[0]
		if len(parts) == 2 {
			ref.qualifier = parts[1]
		}
	case len(parts) <= 4 && parts[1] == "function":
		if parts[0] != s.opts.AccountID {
			return ref, errFunctionNotFound(s.arnFor(parts[2]))
		}
		ref.name = parts[2]
		if len(parts) == 4 {
			ref.qualifier = parts[3]
		}
	case len(parts) >= 7 && len(parts) <= 8 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function":
		if parts[3] != s.opts.Region || parts[4] != s.opts.AccountID {
			return ref, errNotFound("Function not found: %s", v)
		}
		ref.name = parts[6]
		if len(parts) == 8 {
			ref.qualifier = parts[7]
		}
	default:
		return ref, errInvalidParameter("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must be a function name or ARN", v)
	}
	if !functionNamePattern.MatchString(ref.name) {
		return ref, errInvalidParameter("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]{1,64} (or a function ARN)", v)
	}
	return ref, nil
}

// checkQualifier accepts only $LATEST (or none): the stand-in does not
// publish versions or create aliases, so any other qualifier names nothing.
func (s *Service) checkQualifier(ref functionRef, query string) *apiError {
	q := ref.qualifier
	if query != "" {
		if q != "" && q != query {
			return errInvalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		q = query
	}
	if q != "" && q != latest {
		return errFunctionNotFound(s.arnFor(ref.name) + ":" + q)
	}
	return nil
}

func (s *Service) arnFor(name string) string {
	return "arn:aws:lambda:" + s.opts.Region + ":" + s.opts.AccountID + ":function:" + name
}
