package cfnproviders

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/facevec/facevec/localstack/embedded/cfnsvc"
)

// Role is an IAM role as a template declared it, kept for a later check
// of the calls made with it (the stand-in has no IAM service).
type Role struct {
	Name, Path, Arn, RoleID string
	AssumeRolePolicy        json.RawMessage
	// Policies are the inline policies by name.
	Policies            map[string]json.RawMessage
	ManagedPolicyArns   []string
	PermissionsBoundary string
}

type roleProps struct {
	RoleName                 string          `json:"RoleName"`
	Path                     string          `json:"Path"`
	Description              string          `json:"Description"`
	AssumeRolePolicyDocument json.RawMessage `json:"AssumeRolePolicyDocument"`
	Policies                 []struct {
		PolicyName     string          `json:"PolicyName"`
		PolicyDocument json.RawMessage `json:"PolicyDocument"`
	} `json:"Policies"`
	ManagedPolicyArns   []string `json:"ManagedPolicyArns"`
	PermissionsBoundary string   `json:"PermissionsBoundary"`
	MaxSessionDuration  Int      `json:"MaxSessionDuration"`
	Tags                []Tag    `json:"Tags"`
}

// Roles is the AWS::IAM::Role provider and the store of the roles it made.
type Roles struct {
	account string
	roles   names[Role]
}

// NewRoles makes the role provider for account.
func NewRoles(account string) *Roles { return &Roles{account: account} }

// Role returns the role with the given name or ARN.
func (p *Roles) Role(nameOrARN string) (Role, bool) {
	name := nameOrARN
	if i := strings.LastIndex(nameOrARN, "/"); strings.HasPrefix(nameOrARN, "arn:") && i >= 0 {
		name = nameOrARN[i+1:]
	}
	return p.roles.get(name)
}

func (p *Roles) role(r cfnsvc.Resource, name string) (Role, error) {
	var props roleProps
	if err := decode(r, &props); err != nil {
		return Role{}, err
	}
	if len(props.AssumeRolePolicyDocument) == 0 {
		return Role{}, required(r, "AssumeRolePolicyDocument", "")
	}
	path := props.Path
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
		return Role{}, fmt.Errorf("%w for resource %s with message: #/Path: string must begin and end with /", ErrProperties, r.LogicalID)
	}
	if name == "" {
		name = orGenerated(r, props.RoleName, 64, false)
	}
	role := Role{Name: name, Path: path, Arn: fmt.Sprintf("arn:aws:iam::%s:role%s%s", p.account, path, name),
		RoleID:           "AROA" + randomID(17),
		AssumeRolePolicy: props.AssumeRolePolicyDocument, Policies: map[string]json.RawMessage{},
		ManagedPolicyArns: props.ManagedPolicyArns, PermissionsBoundary: props.PermissionsBoundary}
	for _, pol := range props.Policies {
		if err := required(r, "PolicyName", pol.PolicyName); err != nil {
			return Role{}, err
		}
		role.Policies[pol.PolicyName] = pol.PolicyDocument
	}
	return role, nil
}

func (p *Roles) created(role Role) cfnsvc.Created {
	return cfnsvc.Created{PhysicalID: role.Name, Attributes: map[string]any{"Arn": role.Arn, "RoleId": role.RoleID}}
}

// Create implements cfnsvc.Provider.
func (p *Roles) Create(_ context.Context, r cfnsvc.Resource) (cfnsvc.Created, error) {
	role, err := p.role(r, "")
	if err != nil {
		return cfnsvc.Created{}, err
	}
	if err := p.roles.add(r.Type, role.Name, role); err != nil {
		return cfnsvc.Created{}, err
	}
	return p.created(role), nil
}

// Update implements cfnsvc.Provider: a new name or path is a new role.
func (p *Roles) Update(_ context.Context, r, old cfnsvc.Resource) (cfnsvc.Created, error) {
	if r.Properties["RoleName"] != old.Properties["RoleName"] || r.Properties["Path"] != old.Properties["Path"] {
		return cfnsvc.Created{}, cfnsvc.ErrReplacement
	}
	role, err := p.role(r, old.PhysicalID)
	if err != nil {
		return cfnsvc.Created{}, err
	}
	if prev, ok := p.roles.get(old.PhysicalID); ok {
		role.RoleID = prev.RoleID
	}
	p.roles.put(role.Name, role)
	return p.created(role), nil
}

// Delete implements cfnsvc.Provider.
func (p *Roles) Delete(_ context.Context, r cfnsvc.Resource) error {
	p.roles.remove(r.PhysicalID)
	return nil
}
