package cfnsvc

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// nestedStacks is the AWS::CloudFormation::Stack provider: a child stack
// of this same service, its template read from TemplateURL. The parent's
// capabilities pass to the child, as in CloudFormation.
type nestedStacks struct{ s *Service }

// nestedPoll is how often a parent checks on its child stack.
const nestedPoll = 20 * time.Millisecond

func (n nestedStacks) input(r Resource, name string) (StackInput, error) {
	in := StackInput{StackName: name, Capabilities: []string{capabilityIAM, capabilityNamedIAM}}
	for k, v := range r.Properties {
		switch k {
		case "TemplateURL":
			in.TemplateURL, _ = v.(string)
		case "Parameters":
			m, ok := v.(map[string]any)
			if !ok {
				return in, fmt.Errorf("%w: %s Parameters must be a map of strings", ErrValidation, r.LogicalID)
			}
			for _, key := range sortedKeys(m) {
				text, err := asString(m[key], "Parameters."+key)
				if err != nil {
					return in, err
				}
				in.Parameters = append(in.Parameters, ParameterInput{Key: key, Value: text})
			}
		case "TimeoutInMinutes", "NotificationARNs":
			// Accepted: the stand-in's stacks neither time out nor notify.
		case "Tags":
			tags, _ := v.([]any)
			for _, t := range tags {
				m, _ := t.(map[string]any)
				key, _ := m["Key"].(string)
				val, _ := m["Value"].(string)
				in.Tags = append(in.Tags, Tag{Key: key, Value: val})
			}
		default:
			return in, fmt.Errorf("Properties validation failed for resource %s with message: #: extraneous key [%s] is not permitted", r.LogicalID, k)
		}
	}
	if in.TemplateURL == "" {
		return in, fmt.Errorf("Properties validation failed for resource %s with message: #: required key [TemplateURL] not found", r.LogicalID)
	}
	return in, nil
}

// wait polls the child until it leaves the in-progress states.
func (n nestedStacks) wait(ctx context.Context, id string) (*stack, error) {
	for {
		n.s.mu.Lock()
		st, err := n.s.find(id)
		var status string
		var busy bool
		if err == nil {
			status, busy = st.Status, st.busy
		}
		n.s.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if !busy && status != statusReview {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(nestedPoll):
		}
	}
}

func (n nestedStacks) created(st *stack) Created {
	n.s.mu.Lock()
	defer n.s.mu.Unlock()
	attrs := map[string]any{}
	for _, o := range st.Outputs {
		attrs["Outputs."+o.Key] = o.Value
	}
	return Created{PhysicalID: st.ID, Attributes: attrs}
}

func (n nestedStacks) failure(st *stack, verb string) error {
	n.s.mu.Lock()
	defer n.s.mu.Unlock()
	reasons := []string{}
	for _, e := range st.Events {
		if e.Reason != "" && e.LogicalID != st.Name && (e.Status == statusCreateFailed || e.Status == statusUpdateFailed || e.Status == statusDeleteFailed) {
			reasons = append(reasons, e.LogicalID+": "+e.Reason)
		}
	}
	sort.Strings(reasons)
	return fmt.Errorf("Embedded stack %s was not successfully %s: %s %v", st.ID, verb, st.StatusReason, reasons)
}

// Create implements Provider.
func (n nestedStacks) Create(ctx context.Context, r Resource) (Created, error) {
	in, err := n.input(r, PhysicalName(r.StackName, r.LogicalID, 128, false))
	if err != nil {
		return Created{}, err
	}
	id, err := n.s.CreateStack(ctx, in)
	if err != nil {
		return Created{}, err
	}
	st, err := n.wait(ctx, id)
	if err != nil {
		return Created{}, err
	}
	if st.Status != statusCreateComplete {
		return Created{}, n.failure(st, "created")
	}
	return n.created(st), nil
}

// Update implements Provider: the child is updated in place.
func (n nestedStacks) Update(ctx context.Context, r, old Resource) (Created, error) {
	in, err := n.input(r, old.PhysicalID)
	if err != nil {
		return Created{}, err
	}
	if _, err := n.s.UpdateStack(ctx, in); err != nil && !errors.Is(err, errNoUpdates) {
		return Created{}, err
	}
	st, err := n.wait(ctx, old.PhysicalID)
	if err != nil {
		return Created{}, err
	}
	if st.Status != statusUpdateComplete && st.Status != statusCreateComplete {
		return Created{}, n.failure(st, "updated")
	}
	return n.created(st), nil
}

// Delete implements Provider.
func (n nestedStacks) Delete(ctx context.Context, r Resource) error {
	if err := n.s.DeleteStack(ctx, r.PhysicalID); err != nil {
		return err
	}
	st, err := n.wait(ctx, r.PhysicalID)
	if err != nil {
		return err
	}
	if st.Status != statusDeleteComplete {
		return n.failure(st, "deleted")
	}
	return nil
}
