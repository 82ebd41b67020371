package cfnsvc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Errors answered with CloudFormation's own codes.
var (
	ErrAlreadyExists         = errors.New("AlreadyExistsException")
	ErrCapabilities          = errors.New("InsufficientCapabilitiesException")
	ErrChangeSetNotFound     = errors.New("ChangeSetNotFound")
	ErrInvalidChangeSetState = errors.New("InvalidChangeSetStatus")
	// errNoUpdates is UpdateStack's answer when nothing would change.
	errNoUpdates = fmt.Errorf("%w: No updates are to be performed.", ErrValidation)
)

// StackInput is what CreateStack, UpdateStack and CreateChangeSet share.
type StackInput struct {
	StackName           string
	TemplateBody        string
	TemplateURL         string
	UsePreviousTemplate bool
	Parameters          []ParameterInput
	Capabilities        []string
	Tags                []Tag
	DisableRollback     bool
}

// templateOf reads the template a request gives, inline or by URL.
func (s *Service) templateOf(ctx context.Context, in StackInput) (string, error) {
	switch {
	case in.TemplateBody != "" && in.TemplateURL != "":
		return "", fmt.Errorf("%w: Specify exactly one of TemplateBody or TemplateUrl", ErrValidation)
	case in.TemplateBody != "":
		return in.TemplateBody, nil
	case in.TemplateURL != "":
		if s.fetch == nil {
			return "", fmt.Errorf("%w: TemplateURL is not served by this stack", ErrValidation)
		}
		bucket, key, err := parseS3URL(in.TemplateURL)
		if err != nil {
			return "", err
		}
		body, err := s.fetch(ctx, bucket, key)
		if err != nil {
			return "", fmt.Errorf("%w: TemplateURL must reference a valid S3 object to which you have access (%v)", ErrValidation, err)
		}
		return string(body), nil
	}
	return "", fmt.Errorf("%w: Either Template URL or Template Body must be specified.", ErrValidation)
}

// checkCapabilities refuses IAM resources unless the caller acknowledged
// them, as CloudFormation does.
func checkCapabilities(t *Template, given []string) error {
	need := ""
	for _, name := range sortedKeys(t.Resources) {
		r := t.Resources[name]
		if !strings.HasPrefix(r.Type, "AWS::IAM::") {
			continue
		}
		if need == "" {
			need = capabilityIAM
		}
		for _, k := range []string{"RoleName", "UserName", "GroupName", "ManagedPolicyName", "InstanceProfileName"} {
			if _, named := r.Properties[k]; named {
				need = capabilityNamedIAM
			}
		}
	}
	switch {
	case need == "":
		return nil
	case slices.Contains(given, capabilityNamedIAM):
		return nil
	case need == capabilityIAM && slices.Contains(given, capabilityIAM):
		return nil
	}
	return fmt.Errorf("%w: Requires capabilities : [%s]", ErrCapabilities, need)
}

// prepare parses and checks a request's template and parameters.
func (s *Service) prepare(ctx context.Context, in StackInput, previous *stack) (*Template, map[string]paramValue, error) {
	var body string
	var err error
	if in.UsePreviousTemplate {
		if previous == nil {
			return nil, nil, fmt.Errorf("%w: UsePreviousTemplate needs an existing stack", ErrValidation)
		}
		body = previous.Template.Body
	} else if body, err = s.templateOf(ctx, in); err != nil {
		return nil, nil, err
	}
	t, err := s.validate(body)
	if err != nil {
		return nil, nil, err
	}
	var prev map[string]paramValue
	if previous != nil {
		prev = previous.Params
	}
	params, err := resolveParameters(t, in.Parameters, prev)
	if err != nil {
		return nil, nil, err
	}
	if err := checkCapabilities(t, in.Capabilities); err != nil {
		return nil, nil, err
	}
	return t, params, nil
}

// newStack registers a stack in REVIEW_IN_PROGRESS (caller holds s.mu).
func (s *Service) newStack(in StackInput, t *Template, params map[string]paramValue) (*stack, error) {
	if _, err := s.find(in.StackName); err == nil {
		return nil, fmt.Errorf("%w: Stack [%s] already exists", ErrAlreadyExists, in.StackName)
	}
	if !stackName.MatchString(in.StackName) {
		return nil, fmt.Errorf("%w: 1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", ErrValidation, in.StackName)
	}
	now := time.Now().UTC()
	st := &stack{ID: s.stackARN(in.StackName), Name: in.StackName, Template: t, Params: params,
		Description: t.Description, Capabilities: in.Capabilities, Tags: in.Tags, DisableRollback: in.DisableRollback,
		Resources: map[string]*resourceState{}, Created: now, Updated: now, Status: statusReview}
	s.stacks = append(s.stacks, st)
	return st, nil
}

// CreateStack creates a stack and starts creating its resources.
func (s *Service) CreateStack(ctx context.Context, in StackInput) (string, error) {
	t, params, err := s.prepare(ctx, in, nil)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	st, err := s.newStack(in, t, params)
	if err == nil {
		st.busy = true
	}
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	s.start(func() { s.runCreate(context.Background(), st) })
	return st.ID, nil
}

// updatable says why a stack cannot take an update, if it cannot (caller
// holds s.mu).
func updatable(st *stack) error {
	switch {
	case st.busy || !terminal(st.Status),
		st.Status == statusRollbackComplete, st.Status == statusReview,
		st.Status == statusCreateFailed, st.Status == statusRollbackFailed:
		return fmt.Errorf("%w: Stack:%s is in %s state and can not be updated.", ErrValidation, st.ID, st.Status)
	}
	return nil
}

// claim marks a stack busy for an update, or says why it cannot take one
// (caller holds s.mu).
func claim(st *stack) error {
	if err := updatable(st); err != nil {
		return err
	}
	st.busy = true
	return nil
}

// UpdateStack starts moving a stack to a new template or parameters.
func (s *Service) UpdateStack(ctx context.Context, in StackInput) (string, error) {
	s.mu.Lock()
	st, err := s.find(in.StackName)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	t, params, err := s.prepare(ctx, in, st)
	if err != nil {
		return "", err
	}
	changes, err := s.plan(st, t, params)
	if err != nil {
		return "", err
	}
	if len(changes) == 0 && t.Body == st.Template.Body && sameParams(params, st.Params) {
		return "", errNoUpdates
	}
	s.mu.Lock()
	err = claim(st)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	s.start(func() { s.runUpdate(context.Background(), st, t, params) })
	return st.ID, nil
}

// DeleteStack starts deleting a stack; a stack that does not exist is
// not an error, as in CloudFormation.
func (s *Service) DeleteStack(ctx context.Context, name string) error {
	s.mu.Lock()
	st, err := s.find(name)
	if err != nil || st.Status == statusDeleteComplete {
		s.mu.Unlock()
		return nil
	}
	if st.Status == statusReview { // only change sets, no resources
		st.setStatus(statusDeleteComplete, "")
		st.Deleted = time.Now().UTC()
		s.mu.Unlock()
		return nil
	}
	if st.busy {
		s.mu.Unlock()
		return fmt.Errorf("%w: Stack %s is in %s state and can not be deleted now", ErrValidation, name, st.Status)
	}
	st.busy = true
	s.mu.Unlock()
	s.start(func() { s.runDelete(context.Background(), st) })
	return nil
}

func sameParams(a, b map[string]paramValue) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w.Text != v.Text {
			return false
		}
	}
	return true
}

// parseS3URL reads bucket and key from a path-style (https://host/bucket/
// key) or virtual-hosted (https://bucket.s3.region.amazonaws.com/key) URL.
func parseS3URL(raw string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(raw, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(raw, "http://")
	}
	host, path, _ := strings.Cut(rest, "/")
	if !ok || path == "" {
		return "", "", fmt.Errorf("%w: TemplateURL must be a supported URL: %s", ErrValidation, raw)
	}
	if b, _, virtual := strings.Cut(host, ".s3."); virtual && b != "" {
		return b, path, nil
	}
	bucket, key, _ = strings.Cut(path, "/")
	if bucket == "" || key == "" {
		return "", "", fmt.Errorf("%w: TemplateURL must name a bucket and a key: %s", ErrValidation, raw)
	}
	return bucket, key, nil
}
