package cfnsvc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// unknownAttr stands for an attribute of a resource a change set would
// create: it differs from every real value, so what uses it shows as
// modified.
type unknownAttr string

// scopeOver evaluates t for st, reading resources from states (guarded by
// s.mu). With unknowns, a resource t declares but states lacks evaluates
// to an unknownAttr instead of failing (change-set planning).
func (s *Service) scopeOver(st *stack, t *Template, params map[string]paramValue, states map[string]*resourceState, unknowns bool) *scope {
	refs := map[string]any{}
	for k, v := range params {
		refs[k] = v.Ref
	}
	return newScope(t, s.pseudo(st), refs, func(name, attr string) (any, bool, error) {
		s.mu.Lock()
		rs, ok := states[name]
		s.mu.Unlock()
		if !ok || rs.PhysicalID == "" {
			if unknowns {
				return unknownAttr(name + "." + attr), true, nil
			}
			return nil, false, nil
		}
		if attr == "" {
			return rs.PhysicalID, true, nil
		}
		v, ok := rs.Attributes[attr]
		if !ok {
			return nil, false, fmt.Errorf("%w: Template error: resource %s does not support attribute type %s in Fn::GetAtt", ErrResolve, name, attr)
		}
		return v, true, nil
	})
}

// activeResources is the set of resources whose Condition holds.
func activeResources(t *Template, sc *scope) (map[string]bool, error) {
	active := map[string]bool{}
	for _, name := range sortedKeys(t.Resources) {
		on, err := sc.holds(t.Resources[name].Condition)
		if err != nil {
			return nil, err
		}
		if on {
			active[name] = true
		}
	}
	return active, nil
}

// activeInOrder is the active resources and their creation order.
func activeInOrder(t *Template, sc *scope) (map[string]bool, []string, error) {
	active, err := activeResources(t, sc)
	if err != nil {
		return nil, nil, err
	}
	order, err := creationOrder(t, active)
	return active, order, err
}

// properties resolves a resource's properties.
func properties(sc *scope, r ResourceDecl) (map[string]any, error) {
	if r.Properties == nil {
		return map[string]any{}, nil
	}
	v, err := sc.eval(r.Properties)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// outputs resolves the outputs whose Condition holds.
func outputs(t *Template, sc *scope) ([]Output, error) {
	var out []Output
	for _, key := range sortedKeys(t.Outputs) {
		o := t.Outputs[key]
		on, err := sc.holds(o.Condition)
		if err != nil {
			return nil, err
		}
		if !on {
			continue
		}
		v, err := sc.eval(o.Value)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", key, err)
		}
		text, err := asString(v, "Outputs."+key+".Value")
		if err != nil {
			return nil, fmt.Errorf("%w: Every Outputs member must have a Value of type String (%s)", ErrTemplate, key)
		}
		res := Output{Key: key, Value: text, Description: o.Description}
		if o.Export != nil {
			ev, err := sc.eval(o.Export)
			if err != nil {
				return nil, fmt.Errorf("output %s export: %w", key, err)
			}
			if m, ok := ev.(map[string]any); ok {
				res.ExportName, _ = asString(m["Name"], "Export.Name")
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// resourceFor is what the provider of name gets.
func (st *stack) resourceFor(name, typ string, props map[string]any) Resource {
	return Resource{StackName: st.Name, StackID: st.ID, LogicalID: name, Type: typ, Properties: props}
}

// setResource records a resource's new state and its event.
func (s *Service) setResource(st *stack, rs *resourceState, status, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs.Status, rs.Reason, rs.Updated = status, reason, time.Now().UTC()
	st.Resources[rs.LogicalID] = rs
	st.event(rs.LogicalID, rs.PhysicalID, rs.Type, status, reason)
}

func (s *Service) setStackStatus(st *stack, status, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.setStatus(status, reason)
	if status != statusCreateInProgress && status != statusUpdateInProgress && status != statusDeleteInProgress &&
		status != statusRollbackInProgress && status != statusUpdateRollback && status != statusUpdateCleanup {
		st.busy = false
	}
}

// createOne resolves and creates one resource.
func (s *Service) createOne(ctx context.Context, st *stack, sc *scope, t *Template, name string) error {
	decl := t.Resources[name]
	rs := &resourceState{LogicalID: name, Type: decl.Type}
	s.setResource(st, rs, statusCreateInProgress, "")
	props, err := properties(sc, decl)
	if err == nil {
		var c Created
		c, err = s.providers[decl.Type].Create(ctx, st.resourceFor(name, decl.Type, props))
		if err == nil {
			rs.PhysicalID, rs.Attributes, rs.Properties = c.PhysicalID, c.Attributes, props
			s.setResource(st, rs, statusCreateComplete, "")
			return nil
		}
	}
	s.setResource(st, rs, statusCreateFailed, err.Error())
	return err
}

// deleteOne deletes one resource, or skips it when its DeletionPolicy is
// Retain.
func (s *Service) deleteOne(ctx context.Context, st *stack, decl ResourceDecl, rs *resourceState) error {
	if rs.PhysicalID == "" {
		return nil // never created
	}
	if decl.DeletionPolicy == "Retain" {
		s.setResource(st, rs, statusDeleteSkipped, "")
		return nil
	}
	s.setResource(st, rs, statusDeleteInProgress, "")
	r := st.resourceFor(rs.LogicalID, rs.Type, rs.Properties)
	r.PhysicalID, r.Attributes = rs.PhysicalID, rs.Attributes
	if err := s.providers[rs.Type].Delete(ctx, r); err != nil {
		s.setResource(st, rs, statusDeleteFailed, err.Error())
		return err
	}
	s.setResource(st, rs, statusDeleteComplete, "")
	return nil
}

// deleteAll deletes the named resources in reverse of order and lists
// those that failed.
func (s *Service) deleteAll(ctx context.Context, st *stack, t *Template, order []string) []string {
	var failed []string
	for i := len(order) - 1; i >= 0; i-- {
		s.mu.Lock()
		rs, ok := st.Resources[order[i]]
		s.mu.Unlock()
		if !ok {
			continue
		}
		if err := s.deleteOne(ctx, st, t.Resources[order[i]], rs); err != nil {
			failed = append(failed, order[i])
		}
	}
	return failed
}

// runCreate creates a new stack's resources in dependency order; on a
// failure it rolls back (deletes what it made) unless rollback is off.
func (s *Service) runCreate(ctx context.Context, st *stack) {
	t, params := st.Template, st.Params
	s.setStackStatus(st, statusCreateInProgress, reasonUserInitiated)
	sc := s.scopeOver(st, t, params, st.Resources, false)
	var created []string
	reason := ""
	_, order, err := activeInOrder(t, sc)
	if err != nil {
		reason = err.Error()
	}
	for _, name := range order {
		if err := s.createOne(ctx, st, sc, t, name); err != nil {
			reason = fmt.Sprintf("The following resource(s) failed to create: [%s]. ", name)
			break
		}
		created = append(created, name)
	}
	if reason == "" {
		outs, err := outputs(t, sc)
		if err == nil {
			s.mu.Lock()
			st.Outputs = outs
			s.mu.Unlock()
			s.setStackStatus(st, statusCreateComplete, "")
			return
		}
		reason = err.Error()
	}
	if st.DisableRollback {
		s.setStackStatus(st, statusCreateFailed, reason)
		return
	}
	s.setStackStatus(st, statusRollbackInProgress, reason+"Rollback requested by user.")
	if bad := s.deleteAll(ctx, st, t, created); len(bad) > 0 {
		s.setStackStatus(st, statusRollbackFailed, fmt.Sprintf("The following resource(s) failed to delete: [%s]. ", strings.Join(bad, ", ")))
		return
	}
	s.setStackStatus(st, statusRollbackComplete, "")
}

// runDelete deletes the stack's resources in reverse dependency order.
func (s *Service) runDelete(ctx context.Context, st *stack) {
	s.setStackStatus(st, statusDeleteInProgress, reasonUserInitiated)
	t := st.Template
	s.mu.Lock()
	existing := map[string]bool{}
	for name := range st.Resources {
		if _, declared := t.Resources[name]; declared {
			existing[name] = true
		}
	}
	s.mu.Unlock()
	order, err := creationOrder(t, existing)
	if err != nil {
		order = sortedKeys(existing)
	}
	if bad := s.deleteAll(ctx, st, t, order); len(bad) > 0 {
		s.setStackStatus(st, statusDeleteFailed, fmt.Sprintf("The following resource(s) failed to delete: [%s]. ", strings.Join(bad, ", ")))
		return
	}
	s.mu.Lock()
	st.Deleted = time.Now().UTC()
	s.mu.Unlock()
	s.setStackStatus(st, statusDeleteComplete, "")
}

// step is one applied change of an update, for rolling it back.
type step struct {
	name     string
	created  bool           // a new logical resource
	previous *resourceState // the state before (modified or replaced)
	replaced bool
}

// runUpdate moves the stack to template t and params: new resources are
// created, changed ones updated (or replaced), and removed ones deleted
// last; on a failure every applied step is undone.
func (s *Service) runUpdate(ctx context.Context, st *stack, t *Template, params map[string]paramValue) {
	s.setStackStatus(st, statusUpdateInProgress, reasonUserInitiated)
	old := st.Template
	sc := s.scopeOver(st, t, params, st.Resources, false)
	var done []step
	reason := ""
	active, order, err := activeInOrder(t, sc)
	if err != nil {
		reason = err.Error()
	}
	for _, name := range order {
		st1, err := s.updateOne(ctx, st, sc, t, name)
		if st1 != nil {
			done = append(done, *st1)
		}
		if err != nil {
			reason = fmt.Sprintf("The following resource(s) failed to update: [%s]. ", name)
			break
		}
	}
	var outs []Output
	if reason == "" {
		if outs, err = outputs(t, sc); err != nil {
			reason = err.Error()
		}
	}
	if reason != "" {
		s.rollbackUpdate(ctx, st, old, done, reason)
		return
	}
	s.mu.Lock()
	st.Template, st.Params, st.Outputs = t, params, outs
	var removed []string
	for name := range st.Resources {
		if !active[name] {
			removed = append(removed, name)
		}
	}
	s.mu.Unlock()
	s.setStackStatus(st, statusUpdateCleanup, "")
	oldOrder, err := creationOrder(old, setOf(removed))
	if err != nil {
		oldOrder = removed
	}
	s.deleteAll(ctx, st, old, oldOrder)
	for _, d := range done {
		if d.replaced {
			_ = s.deleteOne(ctx, st, ResourceDecl{}, d.previous)
		}
	}
	s.mu.Lock()
	for _, name := range removed {
		delete(st.Resources, name)
	}
	s.mu.Unlock()
	s.setStackStatus(st, statusUpdateComplete, "")
}

// updateOne brings one resource to its new declaration; the step says
// what was done (nil when nothing).
func (s *Service) updateOne(ctx context.Context, st *stack, sc *scope, t *Template, name string) (*step, error) {
	s.mu.Lock()
	cur, exists := st.Resources[name]
	s.mu.Unlock()
	if !exists || cur.PhysicalID == "" {
		if err := s.createOne(ctx, st, sc, t, name); err != nil {
			return &step{name: name, created: true}, err
		}
		return &step{name: name, created: true}, nil
	}
	decl := t.Resources[name]
	props, err := properties(sc, decl)
	if err != nil {
		s.setResource(st, cur, statusUpdateFailed, err.Error())
		return nil, err
	}
	if decl.Type == cur.Type && sameJSON(props, cur.Properties) {
		return nil, nil
	}
	prev := *cur
	next := &resourceState{LogicalID: name, Type: decl.Type, PhysicalID: cur.PhysicalID, Properties: cur.Properties, Attributes: cur.Attributes}
	s.setResource(st, next, statusUpdateInProgress, "")
	r := st.resourceFor(name, decl.Type, props)
	r.PhysicalID = cur.PhysicalID
	oldR := st.resourceFor(name, prev.Type, prev.Properties)
	oldR.PhysicalID, oldR.Attributes = prev.PhysicalID, prev.Attributes
	var c Created
	replaced := decl.Type != prev.Type
	if !replaced {
		c, err = s.providers[decl.Type].Update(ctx, r, oldR)
		replaced = errors.Is(err, ErrReplacement)
	}
	if replaced {
		s.setResource(st, next, statusUpdateInProgress, "Requested update requires the creation of a new physical resource; hence creating one.")
		r.PhysicalID = ""
		c, err = s.providers[decl.Type].Create(ctx, r)
	}
	if err != nil {
		s.setResource(st, next, statusUpdateFailed, err.Error())
		return &step{name: name, previous: &prev, replaced: replaced}, err
	}
	next.PhysicalID, next.Attributes, next.Properties = c.PhysicalID, c.Attributes, props
	s.setResource(st, next, statusUpdateComplete, "")
	return &step{name: name, previous: &prev, replaced: replaced}, nil
}

// rollbackUpdate undoes the applied steps, newest first.
func (s *Service) rollbackUpdate(ctx context.Context, st *stack, old *Template, done []step, reason string) {
	s.setStackStatus(st, statusUpdateRollback, reason)
	var bad []string
	for i := len(done) - 1; i >= 0; i-- {
		d := done[i]
		s.mu.Lock()
		cur := st.Resources[d.name]
		s.mu.Unlock()
		switch {
		case d.created:
			if err := s.deleteOne(ctx, st, ResourceDecl{}, cur); err != nil {
				bad = append(bad, d.name)
			}
			s.mu.Lock()
			delete(st.Resources, d.name)
			s.mu.Unlock()
		case d.replaced:
			if cur.PhysicalID != d.previous.PhysicalID {
				_ = s.deleteOne(ctx, st, ResourceDecl{}, cur)
			}
			restored := *d.previous
			s.setResource(st, &restored, statusUpdateComplete, "")
		default:
			restored := *d.previous
			r := st.resourceFor(d.name, restored.Type, restored.Properties)
			r.PhysicalID = restored.PhysicalID
			from := st.resourceFor(d.name, cur.Type, cur.Properties)
			from.PhysicalID, from.Attributes = cur.PhysicalID, cur.Attributes
			s.setResource(st, cur, statusUpdateInProgress, "")
			c, err := s.providers[restored.Type].Update(ctx, r, from)
			if err != nil {
				s.setResource(st, cur, statusUpdateFailed, err.Error())
				bad = append(bad, d.name)
				continue
			}
			restored.Attributes = c.Attributes
			s.setResource(st, &restored, statusUpdateComplete, "")
		}
	}
	if len(bad) > 0 {
		s.setStackStatus(st, statusUpdateRollbackFail, fmt.Sprintf("The following resource(s) failed to roll back: [%s]. ", strings.Join(bad, ", ")))
		return
	}
	s.setStackStatus(st, statusUpdateRollbackDone, "")
}

func setOf(names []string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// sameJSON compares resolved properties as JSON values (a number read
// back from state and one from a template compare equal).
func sameJSON(a, b map[string]any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return reflect.DeepEqual(a, b)
	}
	return string(ja) == string(jb)
}

// terminal reports whether a stack can take a new operation.
func terminal(status string) bool {
	return slices.Contains([]string{statusCreateComplete, statusUpdateComplete, statusUpdateRollbackDone,
		statusRollbackComplete, statusCreateFailed, statusDeleteFailed, statusRollbackFailed,
		statusUpdateRollbackFail, statusUpdateFailed, statusReview}, status)
}
