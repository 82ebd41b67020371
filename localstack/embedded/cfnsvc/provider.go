package cfnsvc

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
)

// ErrReplacement is returned by Provider.Update when the change cannot be
// made in place: the engine creates a new resource, then deletes the old.
var ErrReplacement = errors.New("requires replacement")

// Resource is one resource as a provider sees it: its properties with
// every intrinsic function resolved.
type Resource struct {
	StackName  string
	StackID    string
	LogicalID  string
	Type       string
	Properties map[string]any
	// PhysicalID is set for Update (the current resource) and Delete.
	PhysicalID string
	// Attributes are what Create or Update returned (for Delete).
	Attributes map[string]any
}

// Created is what a provider reports for a resource it made: the physical
// ID Ref returns and the attributes Fn::GetAtt reads.
type Created struct {
	PhysicalID string
	Attributes map[string]any
}

// Provider makes, changes and removes the resources of one type.
type Provider interface {
	Create(ctx context.Context, r Resource) (Created, error)
	// Update changes old into r in place, or returns ErrReplacement.
	Update(ctx context.Context, r Resource, old Resource) (Created, error)
	// Delete removes r; a resource already gone is not an error.
	Delete(ctx context.Context, r Resource) error
}

// PhysicalName is the name CloudFormation gives a resource the template
// does not name: <stack>-<logical>-<random>, at most max characters, lower
// case when lower (S3 bucket names).
func PhysicalName(stack, logical string, max int, lower bool) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	suffix := make([]byte, 12)
	_, _ = rand.Read(suffix)
	for i, b := range suffix {
		suffix[i] = alphabet[int(b)%len(alphabet)]
	}
	head := stack + "-" + logical
	if room := max - len(suffix) - 1; len(head) > room {
		head = head[:room]
	}
	name := head + "-" + string(suffix)
	if lower {
		name = strings.ToLower(name)
	}
	return name
}
