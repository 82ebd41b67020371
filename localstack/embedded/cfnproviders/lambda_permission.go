package cfnproviders

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/facevec/facevec/localstack/embedded/cfnsvc"
)

type permissionProps struct {
	Action           string `json:"Action"`
	FunctionName     string `json:"FunctionName"`
	Principal        string `json:"Principal"`
	SourceArn        string `json:"SourceArn"`
	SourceAccount    string `json:"SourceAccount"`
	PrincipalOrgID   string `json:"PrincipalOrgID"`
	EventSourceToken string `json:"EventSourceToken"`
}

// Permissions is the AWS::Lambda::Permission provider (AddPermission and
// RemovePermission on the function's resource policy). Every property
// change replaces the statement, as in CloudFormation.
type Permissions struct{ lambda *lambda.Client }

// NewPermissions makes the permission provider.
func NewPermissions(c Clients) *Permissions { return &Permissions{lambda: c.Lambda} }

// Create implements cfnsvc.Provider. The physical ID is the statement ID.
func (p *Permissions) Create(ctx context.Context, r cfnsvc.Resource) (cfnsvc.Created, error) {
	var props permissionProps
	if err := decode(r, &props); err != nil {
		return cfnsvc.Created{}, err
	}
	for name, v := range map[string]string{"Action": props.Action, "FunctionName": props.FunctionName, "Principal": props.Principal} {
		if err := required(r, name, v); err != nil {
			return cfnsvc.Created{}, err
		}
	}
	sid := cfnsvc.PhysicalName(r.StackName, r.LogicalID, 100, false)
	in := &lambda.AddPermissionInput{FunctionName: aws.String(props.FunctionName), StatementId: aws.String(sid),
		Action: aws.String(props.Action), Principal: aws.String(props.Principal)}
	if props.SourceArn != "" {
		in.SourceArn = aws.String(props.SourceArn)
	}
	if props.SourceAccount != "" {
		in.SourceAccount = aws.String(props.SourceAccount)
	}
	if props.PrincipalOrgID != "" {
		in.PrincipalOrgID = aws.String(props.PrincipalOrgID)
	}
	if props.EventSourceToken != "" {
		in.EventSourceToken = aws.String(props.EventSourceToken)
	}
	if _, err := p.lambda.AddPermission(ctx, in); err != nil {
		return cfnsvc.Created{}, fmt.Errorf("add permission to %s: %w", props.FunctionName, err)
	}
	return cfnsvc.Created{PhysicalID: sid, Attributes: map[string]any{}}, nil
}

// Update implements cfnsvc.Provider: always a replacement.
func (p *Permissions) Update(context.Context, cfnsvc.Resource, cfnsvc.Resource) (cfnsvc.Created, error) {
	return cfnsvc.Created{}, cfnsvc.ErrReplacement
}

// Delete implements cfnsvc.Provider; a function already gone took its
// policy with it.
func (p *Permissions) Delete(ctx context.Context, r cfnsvc.Resource) error {
	fn, _ := r.Properties["FunctionName"].(string)
	_, err := p.lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String(r.PhysicalID)})
	if err != nil && !notFound(err) {
		return fmt.Errorf("remove permission %s from %s: %w", r.PhysicalID, fn, err)
	}
	return nil
}
