package cfnsvc

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/facevec/facevec/localstack/embedded/internal/queryerr"
)

// maxRequestBytes bounds a request body: CloudFormation takes templates of
// up to 51,200 bytes inline, form-encoded (up to 3x) with the rest.
const maxRequestBytes = 1 << 20

// ServeHTTP serves the CloudFormation query API (form-encoded POST or GET
// with Action=…; XML answers).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newID()
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, reqID, fmt.Errorf("%w: cannot read the request: %v", ErrValidation, err))
		return
	}
	action := r.Form.Get("Action")
	h, ok := actions[action]
	if !ok {
		s.writeError(w, reqID, fmt.Errorf("%w: Could not find operation %s for version 2010-05-15", errInvalidAction, action))
		return
	}
	result, err := h(s, r, r.Form)
	if err != nil {
		s.log.Info("request refused", "action", action, "stack", r.Form.Get("StackName"), "err", err)
		s.writeError(w, reqID, err)
		return
	}
	body, err := envelope(action, reqID, result)
	if err != nil {
		s.writeError(w, reqID, fmt.Errorf("encode %s answer: %w", action, err))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", reqID)
	_, _ = w.Write(body)
}

var errInvalidAction = errors.New("InvalidAction")

type handler func(s *Service, r *http.Request, form url.Values) (any, error)

var actions map[string]handler

func init() {
	actions = map[string]handler{
		"CreateStack":            apiCreateStack,
		"UpdateStack":            apiUpdateStack,
		"DeleteStack":            apiDeleteStack,
		"DescribeStacks":         apiDescribeStacks,
		"DescribeStackEvents":    apiDescribeStackEvents,
		"DescribeStackResources": apiDescribeStackResources,
		"DescribeStackResource":  apiDescribeStackResource,
		"ListStackResources":     apiListStackResources,
		"GetTemplate":            apiGetTemplate,
		"GetTemplateSummary":     apiGetTemplateSummary,
		"ValidateTemplate":       apiValidateTemplate,
		"CreateChangeSet":        apiCreateChangeSet,
		"DescribeChangeSet":      apiDescribeChangeSet,
		"ExecuteChangeSet":       apiExecuteChangeSet,
		"DeleteChangeSet":        apiDeleteChangeSet,
	}
}

// writeError answers in the query protocol's error shape with the code
// the error wraps.
func (s *Service) writeError(w http.ResponseWriter, reqID string, err error) {
	code, status := "InternalFailure", http.StatusInternalServerError
	msg := err.Error()
	for _, c := range []struct {
		err    error
		status int
	}{
		{ErrAlreadyExists, 400}, {ErrCapabilities, 400}, {ErrChangeSetNotFound, 404},
		{ErrInvalidChangeSetState, 400}, {errInvalidAction, 400},
		{ErrTemplate, 400}, {ErrResolve, 400}, {ErrValidation, 400},
	} {
		if errors.Is(err, c.err) {
			code, status = c.err.Error(), c.status
			if c.err == ErrTemplate || c.err == ErrResolve {
				code = ErrValidation.Error()
			} else {
				msg = strings.TrimPrefix(msg, c.err.Error()+": ")
			}
			break
		}
	}
	if status >= 500 {
		s.log.Error("request failed", "err", err)
	}
	queryerr.Write(w, xmlns, reqID, status, code, msg)
}

func apiCreateStack(s *Service, r *http.Request, form url.Values) (any, error) {
	id, err := s.CreateStack(r.Context(), stackInput(form))
	if err != nil {
		return nil, err
	}
	return struct{ StackId string }{id}, nil
}

func apiUpdateStack(s *Service, r *http.Request, form url.Values) (any, error) {
	id, err := s.UpdateStack(r.Context(), stackInput(form))
	if err != nil {
		return nil, err
	}
	return struct{ StackId string }{id}, nil
}

func apiDeleteStack(s *Service, r *http.Request, form url.Values) (any, error) {
	return nil, s.DeleteStack(r.Context(), form.Get("StackName"))
}

func apiDescribeStacks(s *Service, _ *http.Request, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*stack
	if name := form.Get("StackName"); name != "" {
		st, err := s.find(name)
		if err != nil {
			return nil, err
		}
		list = append(list, st)
	} else {
		for _, st := range s.stacks {
			if st.Status != statusDeleteComplete {
				list = append(list, st)
			}
		}
	}
	out := struct {
		Stacks []xmlStack `xml:"Stacks>member"`
	}{}
	for _, st := range list {
		x := xmlStack{StackId: st.ID, StackName: st.Name, Description: st.Description,
			CreationTime: stamp(st.Created), DeletionTime: stamp(st.Deleted), StackStatus: st.Status,
			StackStatusReason: st.StatusReason, DisableRollback: st.DisableRollback, Capabilities: st.Capabilities}
		if !st.Updated.Equal(st.Created) {
			x.LastUpdatedTime = stamp(st.Updated)
		}
		x.DriftInformation.StackDriftStatus = "NOT_CHECKED"
		for _, k := range sortedKeys(st.Params) {
			v := st.Params[k].Text
			if st.Params[k].NoEcho {
				v = "****"
			}
			x.Parameters = append(x.Parameters, xmlParameter{ParameterKey: k, ParameterValue: v})
		}
		for _, o := range st.Outputs {
			x.Outputs = append(x.Outputs, xmlOutput{OutputKey: o.Key, OutputValue: o.Value, Description: o.Description, ExportName: o.ExportName})
		}
		for _, t := range st.Tags {
			x.Tags = append(x.Tags, xmlTag(t))
		}
		out.Stacks = append(out.Stacks, x)
	}
	return out, nil
}

func apiDescribeStackEvents(s *Service, _ *http.Request, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.find(form.Get("StackName"))
	if err != nil {
		return nil, err
	}
	out := struct {
		StackEvents []xmlEvent `xml:"StackEvents>member"`
	}{}
	for i := len(st.Events) - 1; i >= 0; i-- { // newest first
		e := st.Events[i]
		out.StackEvents = append(out.StackEvents, xmlEvent{StackId: st.ID, EventId: e.ID, StackName: st.Name,
			LogicalResourceId: e.LogicalID, PhysicalResourceId: e.PhysicalID, ResourceType: e.Type,
			Timestamp: stamp(e.Time), ResourceStatus: e.Status, ResourceStatusReason: e.Reason})
	}
	return out, nil
}

// resourceList returns the stack's resources in logical-ID order,
// optionally only the one with the given logical or physical ID.
func (s *Service) resourceList(st *stack, logical, physical string) []xmlResource {
	var out []xmlResource
	for _, name := range sortedKeys(st.Resources) {
		rs := st.Resources[name]
		if (logical != "" && rs.LogicalID != logical) || (physical != "" && rs.PhysicalID != physical) {
			continue
		}
		x := xmlResource{StackId: st.ID, StackName: st.Name, LogicalResourceId: rs.LogicalID, PhysicalResourceId: rs.PhysicalID,
			ResourceType: rs.Type, Timestamp: stamp(rs.Updated), ResourceStatus: rs.Status, ResourceStatusReason: rs.Reason}
		x.DriftInformation.StackResourceDriftStatus = "NOT_CHECKED"
		out = append(out, x)
	}
	return out
}

func apiDescribeStackResources(s *Service, _ *http.Request, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, physical := form.Get("StackName"), form.Get("PhysicalResourceId")
	var st *stack
	var err error
	if name == "" && physical != "" {
		err = fmt.Errorf("%w: Stack for %s does not exist", ErrValidation, physical)
		for _, cand := range s.stacks {
			if len(s.resourceList(cand, "", physical)) > 0 {
				st, err = cand, nil
			}
		}
	} else {
		st, err = s.find(name)
	}
	if err != nil {
		return nil, err
	}
	return struct {
		StackResources []xmlResource `xml:"StackResources>member"`
	}{s.resourceList(st, form.Get("LogicalResourceId"), physical)}, nil
}

func apiDescribeStackResource(s *Service, _ *http.Request, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.find(form.Get("StackName"))
	if err != nil {
		return nil, err
	}
	logical := form.Get("LogicalResourceId")
	list := s.resourceList(st, logical, "")
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: Resource %s does not exist for stack %s", ErrValidation, logical, st.Name)
	}
	r := list[0]
	r.LastUpdatedTimestamp, r.Timestamp = r.Timestamp, ""
	return struct{ StackResourceDetail xmlResource }{r}, nil
}

func apiListStackResources(s *Service, _ *http.Request, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.find(form.Get("StackName"))
	if err != nil {
		return nil, err
	}
	list := s.resourceList(st, "", "")
	for i := range list {
		list[i].StackId, list[i].StackName = "", ""
		list[i].LastUpdatedTimestamp, list[i].Timestamp = list[i].Timestamp, ""
	}
	return struct {
		StackResourceSummaries []xmlResource `xml:"StackResourceSummaries>member"`
	}{list}, nil
}

func apiGetTemplate(s *Service, _ *http.Request, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var body string
	if cs := form.Get("ChangeSetName"); cs != "" {
		_, c, err := s.findChangeSet(cs, form.Get("StackName"))
		if err != nil {
			return nil, err
		}
		body = c.Template.Body
	} else {
		st, err := s.find(form.Get("StackName"))
		if err != nil {
			return nil, err
		}
		body = st.Template.Body
	}
	return struct {
		TemplateBody    string
		StagesAvailable []string `xml:"StagesAvailable>member"`
	}{body, []string{"Original", "Processed"}}, nil
}

// templateParameters describes a template's parameters as
// ValidateTemplate and GetTemplateSummary do.
func templateParameters(t *Template, withType bool) []xmlTemplateParameter {
	var out []xmlTemplateParameter
	for _, k := range sortedKeys(t.Parameters) {
		d := t.Parameters[k]
		p := xmlTemplateParameter{ParameterKey: k, Description: d.Description}
		if d.Default != nil {
			p.DefaultValue, _ = asString(d.Default, "Default")
		}
		p.NoEcho, _ = asBool(d.NoEcho, "")
		if withType {
			p.ParameterType = d.Type
		}
		out = append(out, p)
	}
	return out
}

func requiredCapabilities(t *Template) []string {
	if err := checkCapabilities(t, nil); err != nil {
		if strings.Contains(err.Error(), capabilityNamedIAM) {
			return []string{capabilityNamedIAM}
		}
		return []string{capabilityIAM}
	}
	return nil
}

func apiValidateTemplate(s *Service, r *http.Request, form url.Values) (any, error) {
	body, err := s.templateOf(r.Context(), stackInput(form))
	if err != nil {
		return nil, err
	}
	t, err := s.validate(body)
	if err != nil {
		return nil, err
	}
	return struct {
		Parameters   []xmlTemplateParameter `xml:"Parameters>member"`
		Description  string                 `xml:",omitempty"`
		Capabilities []string               `xml:"Capabilities>member"`
	}{templateParameters(t, false), t.Description, requiredCapabilities(t)}, nil
}

func apiGetTemplateSummary(s *Service, r *http.Request, form url.Values) (any, error) {
	var t *Template
	if name := form.Get("StackName"); name != "" {
		s.mu.Lock()
		st, err := s.find(name)
		s.mu.Unlock()
		if err != nil {
			return nil, err
		}
		t = st.Template
	} else {
		body, err := s.templateOf(r.Context(), stackInput(form))
		if err != nil {
			return nil, err
		}
		if t, err = s.validate(body); err != nil {
			return nil, err
		}
	}
	types := map[string]bool{}
	for _, res := range t.Resources {
		types[res.Type] = true
	}
	return struct {
		Parameters    []xmlTemplateParameter `xml:"Parameters>member"`
		Description   string                 `xml:",omitempty"`
		Capabilities  []string               `xml:"Capabilities>member"`
		ResourceTypes []string               `xml:"ResourceTypes>member"`
		Version       string
	}{templateParameters(t, true), t.Description, requiredCapabilities(t), sortedKeys(types), "2010-09-09"}, nil
}

func apiCreateChangeSet(s *Service, r *http.Request, form url.Values) (any, error) {
	in := ChangeSetInput{StackInput: stackInput(form), ChangeSetName: form.Get("ChangeSetName"),
		ChangeSetType: form.Get("ChangeSetType"), Description: form.Get("Description")}
	id, stackID, err := s.CreateChangeSet(r.Context(), in)
	if err != nil {
		return nil, err
	}
	return struct{ Id, StackId string }{id, stackID}, nil
}

func apiDescribeChangeSet(s *Service, _ *http.Request, form url.Values) (any, error) {
	cs, stackID, stackName, err := s.DescribeChangeSet(form.Get("ChangeSetName"), form.Get("StackName"))
	if err != nil {
		return nil, err
	}
	x := xmlChangeSet{ChangeSetId: cs.ID, ChangeSetName: cs.Name, StackId: stackID, StackName: stackName,
		Description: cs.Description, CreationTime: stamp(cs.Created), ExecutionStatus: cs.ExecutionStatus,
		Status: cs.Status, StatusReason: cs.StatusReason, Capabilities: cs.Capabilities}
	for _, k := range sortedKeys(cs.Params) {
		v := cs.Params[k].Text
		if cs.Params[k].NoEcho {
			v = "****"
		}
		x.Parameters = append(x.Parameters, xmlParameter{ParameterKey: k, ParameterValue: v})
	}
	for _, t := range cs.Tags {
		x.Tags = append(x.Tags, xmlTag(t))
	}
	for _, c := range cs.Changes {
		var xc xmlChange
		xc.Type = "Resource"
		xc.ResourceChange.Action, xc.ResourceChange.LogicalResourceId = c.Action, c.LogicalID
		xc.ResourceChange.PhysicalResourceId, xc.ResourceChange.ResourceType = c.PhysicalID, c.Type
		xc.ResourceChange.Replacement = c.Replacement
		x.Changes = append(x.Changes, xc)
	}
	return x, nil
}

func apiExecuteChangeSet(s *Service, _ *http.Request, form url.Values) (any, error) {
	return struct{}{}, s.ExecuteChangeSet(form.Get("ChangeSetName"), form.Get("StackName"), form.Get("DisableRollback") == "true")
}

func apiDeleteChangeSet(s *Service, _ *http.Request, form url.Values) (any, error) {
	return struct{}{}, s.DeleteChangeSet(form.Get("ChangeSetName"), form.Get("StackName"))
}
