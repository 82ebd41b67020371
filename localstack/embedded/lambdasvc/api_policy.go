package lambdasvc

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// policy is a function's resource-based policy: the statements AddPermission
// added, in order. It is stored and reported, not enforced.
type policy struct {
	statements []policyStatement
	revision   string
}

type policyStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"`
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

type addPermissionInput struct {
	StatementID      string `json:"StatementId"`
	Action           string `json:"Action"`
	Principal        string `json:"Principal"`
	SourceArn        string `json:"SourceArn"`
	SourceAccount    string `json:"SourceAccount"`
	EventSourceToken string `json:"EventSourceToken"`
	PrincipalOrgID   string `json:"PrincipalOrgID"`
	RevisionID       string `json:"RevisionId"`
}

var (
	sidPattern    = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,100}$`)
	actionPattern = regexp.MustCompile(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`)
)

func (s *Service) addPermission(w http.ResponseWriter, r *http.Request, args []string) {
	var in addPermissionInput
	if aerr := readJSON(r, maxConfigRequest, "AddPermission", &in); aerr != nil {
		writeError(w, aerr)
		return
	}
	f, aerr := s.lookup(args[0], r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	principal, aerr := policyPrincipal(in.Principal)
	switch {
	case aerr != nil:
	case !sidPattern.MatchString(in.StatementID):
		aerr = errInvalidParameter("1 validation error detected: Value '%s' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+) and have length 1 to 100", in.StatementID)
	case !actionPattern.MatchString(in.Action):
		aerr = errInvalidParameter("1 validation error detected: Value '%s' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])", in.Action)
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	st := policyStatement{Sid: in.StatementID, Effect: "Allow", Principal: principal, Action: in.Action, Resource: f.arn}
	addCond := func(op, key, v string) {
		if v == "" {
			return
		}
		if st.Condition == nil {
			st.Condition = map[string]map[string]string{}
		}
		if st.Condition[op] == nil {
			st.Condition[op] = map[string]string{}
		}
		st.Condition[op][key] = v
	}
	addCond("ArnLike", "AWS:SourceArn", in.SourceArn)
	addCond("StringEquals", "AWS:SourceAccount", in.SourceAccount)
	addCond("StringEquals", "lambda:EventSourceToken", in.EventSourceToken)
	addCond("StringEquals", "aws:PrincipalOrgID", in.PrincipalOrgID)

	f.mu.Lock()
	defer f.mu.Unlock()
	if aerr := f.checkRevisionLocked(in.RevisionID); aerr != nil {
		writeError(w, aerr)
		return
	}
	for _, old := range f.policy.statements {
		if old.Sid == in.StatementID {
			writeError(w, errConflict("The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", in.StatementID))
			return
		}
	}
	f.policy.statements = append(f.policy.statements, st)
	f.policy.revision = newUUID()
	b, _ := json.Marshal(st)
	writeJSON(w, http.StatusCreated, map[string]string{"Statement": string(b)})
}

// policyPrincipal renders a principal the way Lambda stores it.
func policyPrincipal(p string) (any, *apiError) {
	switch {
	case p == "*":
		return "*", nil
	case strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazonaws.com.cn"):
		return map[string]string{"Service": p}, nil
	case accountPattern.MatchString(p):
		return map[string]string{"AWS": "arn:aws:iam::" + p + ":root"}, nil
	case strings.HasPrefix(p, "arn:"):
		return map[string]string{"AWS": p}, nil
	}
	return nil, errInvalidParameter("The provided principal %q is not valid: give a service (s3.amazonaws.com), an account id, an IAM ARN or *", p)
}

func (s *Service) getPolicy(w http.ResponseWriter, r *http.Request, args []string) {
	f, aerr := s.lookup(args[0], r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.policy.statements) == 0 {
		writeError(w, errNotFound("The resource you requested does not exist."))
		return
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": f.policy.statements})
	writeJSON(w, http.StatusOK, map[string]string{"Policy": string(doc), "RevisionId": f.policy.revision})
}

func (s *Service) removePermission(w http.ResponseWriter, r *http.Request, args []string) {
	f, aerr := s.lookup(args[0], r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.policy.statements) == 0 {
		writeError(w, errNotFound("No policy is associated with the given resource."))
		return
	}
	for i, st := range f.policy.statements {
		if st.Sid == args[1] {
			f.policy.statements = append(f.policy.statements[:i:i], f.policy.statements[i+1:]...)
			f.policy.revision = newUUID()
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeError(w, errNotFound("Statement %s is not found in resource policy.", args[1]))
}
