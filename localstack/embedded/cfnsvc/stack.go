package cfnsvc

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Stack statuses used here (CloudFormation's names).
const (
	statusReview             = "REVIEW_IN_PROGRESS"
	statusCreateInProgress   = "CREATE_IN_PROGRESS"
	statusCreateComplete     = "CREATE_COMPLETE"
	statusCreateFailed       = "CREATE_FAILED"
	statusRollbackInProgress = "ROLLBACK_IN_PROGRESS"
	statusRollbackComplete   = "ROLLBACK_COMPLETE"
	statusRollbackFailed     = "ROLLBACK_FAILED"
	statusUpdateInProgress   = "UPDATE_IN_PROGRESS"
	statusUpdateCleanup      = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
	statusUpdateComplete     = "UPDATE_COMPLETE"
	statusUpdateFailed       = "UPDATE_FAILED"
	statusUpdateRollback     = "UPDATE_ROLLBACK_IN_PROGRESS"
	statusUpdateRollbackDone = "UPDATE_ROLLBACK_COMPLETE"
	statusUpdateRollbackFail = "UPDATE_ROLLBACK_FAILED"
	statusDeleteInProgress   = "DELETE_IN_PROGRESS"
	statusDeleteComplete     = "DELETE_COMPLETE"
	statusDeleteFailed       = "DELETE_FAILED"
	statusDeleteSkipped      = "DELETE_SKIPPED"
	stackResourceType        = "AWS::CloudFormation::Stack"
	changeSetCreateComplete  = "CREATE_COMPLETE"
	changeSetFailed          = "FAILED"
	executionAvailable       = "AVAILABLE"
	executionUnavailable     = "UNAVAILABLE"
	executionComplete        = "EXECUTE_COMPLETE"
	executionInProgress      = "EXECUTE_IN_PROGRESS"
	executionFailed          = "EXECUTE_FAILED"
	reasonUserInitiated      = "User Initiated"
	reasonNoChanges          = "The submitted information didn't contain changes. Submit different information to create a change set."
	capabilityIAM            = "CAPABILITY_IAM"
	capabilityNamedIAM       = "CAPABILITY_NAMED_IAM"
	timeLayout               = "2006-01-02T15:04:05.000Z"
)

// stack is one stack's state. Fields are guarded by Service.mu.
type stack struct {
	ID, Name        string
	Status          string
	StatusReason    string
	Description     string
	Template        *Template
	Params          map[string]paramValue
	Capabilities    []string
	Tags            []Tag
	DisableRollback bool

	Resources map[string]*resourceState
	Outputs   []Output
	Events    []Event
	Created   time.Time
	Updated   time.Time
	Deleted   time.Time

	ChangeSets []*changeSet
	busy       bool // an operation is running
}

// Tag is a stack tag.
type Tag struct{ Key, Value string }

// Output is one resolved output.
type Output struct{ Key, Value, Description, ExportName string }

// Event is one stack event.
type Event struct {
	ID, LogicalID, PhysicalID, Type, Status, Reason string
	Properties                                      string
	Time                                            time.Time
}

// resourceState is one resource of a stack.
type resourceState struct {
	LogicalID, Type, PhysicalID string
	Status, Reason              string
	Properties                  map[string]any
	Attributes                  map[string]any
	Updated                     time.Time
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

func (s *Service) stackARN(name string) string {
	return fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", s.region, s.account, name, newID())
}

// event records an event (caller holds s.mu).
func (st *stack) event(logicalID, physicalID, typ, status, reason string) {
	st.Events = append(st.Events, Event{ID: newID(), LogicalID: logicalID, PhysicalID: physicalID,
		Type: typ, Status: status, Reason: reason, Time: time.Now().UTC()})
}

// setStatus sets the stack status and records the stack event.
func (st *stack) setStatus(status, reason string) {
	st.Status, st.StatusReason = status, reason
	st.Updated = time.Now().UTC()
	st.event(st.Name, st.ID, stackResourceType, status, reason)
}

// find returns the stack a StackName parameter names: by ARN any stack,
// deleted ones included; by name the live one (caller holds s.mu).
func (s *Service) find(nameOrID string) (*stack, error) {
	for i := len(s.stacks) - 1; i >= 0; i-- {
		st := s.stacks[i]
		if st.ID == nameOrID || (st.Name == nameOrID && st.Status != statusDeleteComplete) {
			return st, nil
		}
	}
	return nil, fmt.Errorf("%w: Stack with id %s does not exist", ErrValidation, nameOrID)
}

// pseudo is the stack's pseudo-parameters.
func (s *Service) pseudo(st *stack) map[string]any {
	return map[string]any{
		"AWS::AccountId": s.account, "AWS::Region": s.region, "AWS::StackName": st.Name,
		"AWS::StackId": st.ID, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
		"AWS::NotificationARNs": []any{},
	}
}
