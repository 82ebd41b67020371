package cfnproviders

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/facevec/facevec/localstack/embedded/cfnsvc"
)

type functionCode struct {
	S3Bucket        string `json:"S3Bucket"`
	S3Key           string `json:"S3Key"`
	S3ObjectVersion string `json:"S3ObjectVersion"`
	ZipFile         string `json:"ZipFile"`
	ImageUri        string `json:"ImageUri"`
}

type functionProps struct {
	FunctionName  string       `json:"FunctionName"`
	Description   string       `json:"Description"`
	Code          functionCode `json:"Code"`
	Handler       string       `json:"Handler"`
	Runtime       string       `json:"Runtime"`
	Role          string       `json:"Role"`
	MemorySize    Int          `json:"MemorySize"`
	Timeout       Int          `json:"Timeout"`
	Architectures []string     `json:"Architectures"`
	Environment   *struct {
		Variables map[string]string `json:"Variables"`
	} `json:"Environment"`
	EphemeralStorage *struct {
		Size Int `json:"Size"`
	} `json:"EphemeralStorage"`
	ReservedConcurrentExecutions Int    `json:"ReservedConcurrentExecutions"`
	PackageType                  string `json:"PackageType"`
	Tags                         []Tag  `json:"Tags"`
}

// Functions is the AWS::Lambda::Function provider, through the stand-in's
// Lambda API (CreateFunction fetches Code.S3Bucket/S3Key from its S3).
type Functions struct{ lambda *lambda.Client }

// NewFunctions makes the function provider.
func NewFunctions(c Clients) *Functions { return &Functions{lambda: c.Lambda} }

func (p *Functions) props(r cfnsvc.Resource) (functionProps, error) {
	var props functionProps
	if err := decode(r, &props); err != nil {
		return props, err
	}
	if props.Code.ZipFile != "" || props.Code.ImageUri != "" {
		return props, fmt.Errorf("%w for resource %s with message: Code.ZipFile and Code.ImageUri are not served by the stand-in; use Code.S3Bucket and Code.S3Key", ErrProperties, r.LogicalID)
	}
	if err := required(r, "Code.S3Bucket", props.Code.S3Bucket); err != nil {
		return props, err
	}
	if err := required(r, "Code.S3Key", props.Code.S3Key); err != nil {
		return props, err
	}
	return props, required(r, "Role", props.Role)
}

func architectures(a []string) []types.Architecture {
	var out []types.Architecture
	for _, s := range a {
		out = append(out, types.Architecture(s))
	}
	return out
}

func environment(props functionProps) *types.Environment {
	if props.Environment == nil {
		return nil
	}
	return &types.Environment{Variables: props.Environment.Variables}
}

func ephemeral(props functionProps) *types.EphemeralStorage {
	if props.EphemeralStorage == nil {
		return nil
	}
	return &types.EphemeralStorage{Size: props.EphemeralStorage.Size.Ptr32()}
}

// Create implements cfnsvc.Provider.
func (p *Functions) Create(ctx context.Context, r cfnsvc.Resource) (cfnsvc.Created, error) {
	props, err := p.props(r)
	if err != nil {
		return cfnsvc.Created{}, err
	}
	name := orGenerated(r, props.FunctionName, 64, false)
	tags := map[string]string{}
	for _, t := range props.Tags {
		tags[t.Key] = t.Value
	}
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(props.Role), Handler: aws.String(props.Handler),
		Runtime: types.Runtime(props.Runtime), Description: aws.String(props.Description),
		Code:       &types.FunctionCode{S3Bucket: aws.String(props.Code.S3Bucket), S3Key: aws.String(props.Code.S3Key)},
		MemorySize: props.MemorySize.Ptr32(), Timeout: props.Timeout.Ptr32(), Architectures: architectures(props.Architectures),
		Environment: environment(props), EphemeralStorage: ephemeral(props), PackageType: types.PackageType(props.PackageType),
	}
	if props.Code.S3ObjectVersion != "" {
		in.Code.S3ObjectVersion = aws.String(props.Code.S3ObjectVersion)
	}
	if len(tags) > 0 {
		in.Tags = tags
	}
	out, err := p.lambda.CreateFunction(ctx, in)
	if err != nil {
		return cfnsvc.Created{}, fmt.Errorf("create function %s: %w", name, err)
	}
	if props.ReservedConcurrentExecutions.Set {
		if err := p.concurrency(ctx, name, props.ReservedConcurrentExecutions); err != nil {
			_, _ = p.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)})
			return cfnsvc.Created{}, err
		}
	}
	return cfnsvc.Created{PhysicalID: name, Attributes: map[string]any{"Arn": aws.ToString(out.FunctionArn)}}, nil
}

func (p *Functions) concurrency(ctx context.Context, name string, n Int) error {
	if !n.Set {
		_, err := p.lambda.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("remove reserved concurrency of %s: %w", name, err)
		}
		return nil
	}
	if _, err := p.lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(name), ReservedConcurrentExecutions: n.Ptr32()}); err != nil {
		return fmt.Errorf("set reserved concurrency of %s: %w", name, err)
	}
	return nil
}

// Update implements cfnsvc.Provider: configuration, code and reserved
// concurrency in place; a new name is a new function.
func (p *Functions) Update(ctx context.Context, r, old cfnsvc.Resource) (cfnsvc.Created, error) {
	if r.Properties["FunctionName"] != old.Properties["FunctionName"] {
		return cfnsvc.Created{}, cfnsvc.ErrReplacement
	}
	props, err := p.props(r)
	if err != nil {
		return cfnsvc.Created{}, err
	}
	prev, _ := p.props(old)
	name := old.PhysicalID
	cfg := &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name), Role: aws.String(props.Role), Handler: aws.String(props.Handler),
		Runtime: types.Runtime(props.Runtime), Description: aws.String(props.Description),
		MemorySize: props.MemorySize.Ptr32(), Timeout: props.Timeout.Ptr32(), EphemeralStorage: ephemeral(props),
		Environment: environment(props),
	}
	if cfg.Environment == nil { // removing every variable
		cfg.Environment = &types.Environment{Variables: map[string]string{}}
	}
	out, err := p.lambda.UpdateFunctionConfiguration(ctx, cfg)
	if err != nil {
		return cfnsvc.Created{}, fmt.Errorf("update function %s: %w", name, err)
	}
	if props.Code != prev.Code || !reflect.DeepEqual(props.Architectures, prev.Architectures) {
		code := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), S3Bucket: aws.String(props.Code.S3Bucket),
			S3Key: aws.String(props.Code.S3Key), Architectures: architectures(props.Architectures)}
		if _, err := p.lambda.UpdateFunctionCode(ctx, code); err != nil {
			return cfnsvc.Created{}, fmt.Errorf("update code of %s: %w", name, err)
		}
	}
	if props.ReservedConcurrentExecutions != prev.ReservedConcurrentExecutions {
		if err := p.concurrency(ctx, name, props.ReservedConcurrentExecutions); err != nil {
			return cfnsvc.Created{}, err
		}
	}
	return cfnsvc.Created{PhysicalID: name, Attributes: map[string]any{"Arn": aws.ToString(out.FunctionArn)}}, nil
}

// Delete implements cfnsvc.Provider.
func (p *Functions) Delete(ctx context.Context, r cfnsvc.Resource) error {
	_, err := p.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(r.PhysicalID)})
	if err != nil && !notFound(err) {
		return fmt.Errorf("delete function %s: %w", r.PhysicalID, err)
	}
	return nil
}

func notFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf) || isCode(err, "ResourceNotFoundException")
}
