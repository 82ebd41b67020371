package cfnsvc

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

var (
	stackName     = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)
	changeSetName = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)
)

// changeSet is a planned create or update of a stack.
type changeSet struct {
	ID, Name, Description string
	Type                  string // CREATE or UPDATE
	Status, StatusReason  string
	ExecutionStatus       string
	Template              *Template
	Params                map[string]paramValue
	Capabilities          []string
	Tags                  []Tag
	Changes               []Change
	Created               time.Time
}

// Change is one planned resource change.
type Change struct {
	Action, LogicalID, PhysicalID, Type, Replacement string
}

// plan lists what moving st to t with params would change.
func (s *Service) plan(st *stack, t *Template, params map[string]paramValue) ([]Change, error) {
	sc := s.scopeOver(st, t, params, st.Resources, true)
	active, err := activeResources(t, sc)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	existing := map[string]resourceState{}
	for k, v := range st.Resources {
		if v.PhysicalID != "" && v.Status != statusDeleteComplete {
			existing[k] = *v
		}
	}
	s.mu.Unlock()
	var changes []Change
	for _, name := range sortedKeys(active) {
		decl := t.Resources[name]
		cur, ok := existing[name]
		if !ok {
			changes = append(changes, Change{Action: "Add", LogicalID: name, Type: decl.Type})
			continue
		}
		props, err := properties(sc, decl)
		switch {
		case err != nil:
			return nil, err
		case decl.Type != cur.Type:
			changes = append(changes, Change{Action: "Modify", LogicalID: name, PhysicalID: cur.PhysicalID, Type: decl.Type, Replacement: "True"})
		case !sameJSON(props, cur.Properties):
			changes = append(changes, Change{Action: "Modify", LogicalID: name, PhysicalID: cur.PhysicalID, Type: decl.Type, Replacement: "Conditional"})
		}
	}
	for _, name := range sortedKeys(existing) {
		if !active[name] {
			changes = append(changes, Change{Action: "Remove", LogicalID: name, PhysicalID: existing[name].PhysicalID, Type: existing[name].Type})
		}
	}
	return changes, nil
}

// ChangeSetInput is a CreateChangeSet request.
type ChangeSetInput struct {
	StackInput
	ChangeSetName string
	ChangeSetType string // CREATE, UPDATE (default)
	Description   string
}

// CreateChangeSet plans a change; a CREATE change set makes the stack in
// REVIEW_IN_PROGRESS. Planning is immediate, so the change set is
// CREATE_COMPLETE (or FAILED with the reason) when this returns.
func (s *Service) CreateChangeSet(ctx context.Context, in ChangeSetInput) (changeSetID, stackID string, err error) {
	if !changeSetName.MatchString(in.ChangeSetName) {
		return "", "", fmt.Errorf("%w: ChangeSetName '%s' must match [a-zA-Z][-a-zA-Z0-9]*", ErrValidation, in.ChangeSetName)
	}
	typ := in.ChangeSetType
	if typ == "" {
		typ = "UPDATE"
	}
	s.mu.Lock()
	st, findErr := s.find(in.StackName)
	s.mu.Unlock()
	switch {
	case typ == "CREATE" && findErr == nil && st.Status != statusReview:
		return "", "", fmt.Errorf("%w: Stack [%s] already exists and cannot be created again with the changeSet [%s].", ErrAlreadyExists, in.StackName, in.ChangeSetName)
	case typ == "UPDATE" && findErr != nil:
		return "", "", findErr
	case typ == "UPDATE":
		s.mu.Lock()
		err := updatable(st)
		s.mu.Unlock()
		if err != nil {
			return "", "", err
		}
	case typ != "CREATE" && typ != "UPDATE":
		return "", "", fmt.Errorf("%w: ChangeSetType %s is not supported (CREATE or UPDATE)", ErrValidation, typ)
	}
	var previous *stack
	if typ == "UPDATE" {
		previous = st
	}
	t, params, err := s.prepare(ctx, in.StackInput, previous)
	if err != nil {
		return "", "", err
	}
	s.mu.Lock()
	if typ == "CREATE" && findErr != nil {
		st, err = s.newStack(in.StackInput, t, params)
		if err == nil {
			st.setStatus(statusReview, "User Initiated")
		}
	}
	s.mu.Unlock()
	if err != nil {
		return "", "", err
	}
	changes, err := s.plan(st, t, params)
	if err != nil {
		return "", "", err
	}
	cs := &changeSet{ID: s.changeSetARN(in.ChangeSetName),
		Name: in.ChangeSetName, Description: in.Description, Type: typ, Template: t, Params: params,
		Capabilities: in.Capabilities, Tags: in.Tags, Changes: changes, Created: time.Now().UTC(),
		Status: changeSetCreateComplete, ExecutionStatus: executionAvailable}
	if len(changes) == 0 {
		cs.Status, cs.StatusReason, cs.ExecutionStatus = changeSetFailed, reasonNoChanges, executionUnavailable
	}
	s.mu.Lock()
	for _, other := range st.ChangeSets {
		if other.Name == in.ChangeSetName {
			s.mu.Unlock()
			return "", "", fmt.Errorf("%w: ChangeSet [%s] already exists", ErrAlreadyExists, in.ChangeSetName)
		}
	}
	st.ChangeSets = append(st.ChangeSets, cs)
	s.mu.Unlock()
	return cs.ID, st.ID, nil
}

func (s *Service) changeSetARN(name string) string {
	return fmt.Sprintf("arn:aws:cloudformation:%s:%s:changeSet/%s/%s", s.region, s.account, name, newID())
}

// findChangeSet finds a change set by ARN, or by name within stackName
// (caller holds s.mu).
func (s *Service) findChangeSet(name, stackName string) (*stack, *changeSet, error) {
	for i := len(s.stacks) - 1; i >= 0; i-- {
		st := s.stacks[i]
		if !strings.HasPrefix(name, "arn:") && stackName != st.Name && stackName != st.ID {
			continue
		}
		for _, cs := range st.ChangeSets {
			if cs.ID == name || cs.Name == name {
				return st, cs, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("%w: ChangeSet [%s] does not exist", ErrChangeSetNotFound, name)
}

// DescribeChangeSet returns a copy of a change set and its stack's
// identity.
func (s *Service) DescribeChangeSet(name, stackName string) (changeSet, string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, cs, err := s.findChangeSet(name, stackName)
	if err != nil {
		return changeSet{}, "", "", err
	}
	return *cs, st.ID, st.Name, nil
}

// ExecuteChangeSet starts the planned create or update. The stack's other
// change sets become obsolete, as in CloudFormation.
func (s *Service) ExecuteChangeSet(name, stackName string, disableRollback bool) error {
	s.mu.Lock()
	st, cs, err := s.findChangeSet(name, stackName)
	if err == nil && cs.ExecutionStatus != executionAvailable {
		err = fmt.Errorf("%w: ChangeSet [%s] cannot be executed in its current execution status of [%s]", ErrInvalidChangeSetState, cs.ID, cs.ExecutionStatus)
	}
	if err == nil {
		if cs.Type == "CREATE" {
			if st.busy || st.Status != statusReview {
				err = fmt.Errorf("%w: Stack:%s is in %s state and can not be updated.", ErrValidation, st.ID, st.Status)
			} else {
				st.busy = true
			}
		} else {
			err = claim(st)
		}
	}
	if err != nil {
		s.mu.Unlock()
		return err
	}
	for _, other := range st.ChangeSets {
		if other != cs {
			other.ExecutionStatus = "OBSOLETE"
		}
	}
	cs.ExecutionStatus = executionInProgress
	if cs.Type == "CREATE" {
		st.Template, st.Params, st.DisableRollback = cs.Template, cs.Params, disableRollback
		st.Capabilities, st.Tags = cs.Capabilities, cs.Tags
	}
	s.mu.Unlock()
	s.start(func() {
		if cs.Type == "CREATE" {
			s.runCreate(context.Background(), st)
		} else {
			s.runUpdate(context.Background(), st, cs.Template, cs.Params)
		}
		s.mu.Lock()
		cs.ExecutionStatus = executionComplete
		if st.Status != statusCreateComplete && st.Status != statusUpdateComplete {
			cs.ExecutionStatus = executionFailed
		}
		s.mu.Unlock()
	})
	return nil
}

// DeleteChangeSet removes a change set that is not being executed.
func (s *Service) DeleteChangeSet(name, stackName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, cs, err := s.findChangeSet(name, stackName)
	if err != nil {
		return err
	}
	if cs.ExecutionStatus == executionInProgress {
		return fmt.Errorf("%w: Cannot delete ChangeSet in status %s", ErrInvalidChangeSetState, cs.ExecutionStatus)
	}
	for i, other := range st.ChangeSets {
		if other == cs {
			st.ChangeSets = append(st.ChangeSets[:i], st.ChangeSets[i+1:]...)
			break
		}
	}
	return nil
}
