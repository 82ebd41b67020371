package cfnproviders

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/facevec/facevec/localstack/embedded/cfnsvc"
)

// Lambda's asynchronous invocation defaults.
const (
	lambdaDefaultRetries  = 2
	lambdaDefaultEventAge = 6 * 60 * 60
)

type destination struct {
	Destination string `json:"Destination"`
}

type eventInvokeConfigProps struct {
	FunctionName             string `json:"FunctionName"`
	Qualifier                string `json:"Qualifier"`
	MaximumRetryAttempts     Int    `json:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds Int    `json:"MaximumEventAgeInSeconds"`
	DestinationConfig        *struct {
		OnFailure *destination `json:"OnFailure"`
		OnSuccess *destination `json:"OnSuccess"`
	} `json:"DestinationConfig"`
}

// EventInvokeConfigs is the AWS::Lambda::EventInvokeConfig provider
// (PutFunctionEventInvokeConfig).
type EventInvokeConfigs struct{ lambda *lambda.Client }

// NewEventInvokeConfigs makes the provider.
func NewEventInvokeConfigs(c Clients) *EventInvokeConfigs {
	return &EventInvokeConfigs{lambda: c.Lambda}
}

func (p *EventInvokeConfigs) put(ctx context.Context, r cfnsvc.Resource) (cfnsvc.Created, error) {
	var props eventInvokeConfigProps
	if err := decode(r, &props); err != nil {
		return cfnsvc.Created{}, err
	}
	if err := required(r, "FunctionName", props.FunctionName); err != nil {
		return cfnsvc.Created{}, err
	}
	if err := required(r, "Qualifier", props.Qualifier); err != nil {
		return cfnsvc.Created{}, err
	}
	in := &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String(props.FunctionName), Qualifier: aws.String(props.Qualifier),
		MaximumRetryAttempts: props.MaximumRetryAttempts.Ptr32(), MaximumEventAgeInSeconds: props.MaximumEventAgeInSeconds.Ptr32()}
	if d := props.DestinationConfig; d != nil {
		in.DestinationConfig = &types.DestinationConfig{}
		if d.OnFailure != nil {
			in.DestinationConfig.OnFailure = &types.OnFailure{Destination: aws.String(d.OnFailure.Destination)}
		}
		if d.OnSuccess != nil {
			in.DestinationConfig.OnSuccess = &types.OnSuccess{Destination: aws.String(d.OnSuccess.Destination)}
		}
	}
	if _, err := p.lambda.PutFunctionEventInvokeConfig(ctx, in); err != nil {
		return cfnsvc.Created{}, fmt.Errorf("put event invoke config of %s:%s: %w", props.FunctionName, props.Qualifier, err)
	}
	return cfnsvc.Created{PhysicalID: arnName(props.FunctionName) + ":" + props.Qualifier, Attributes: map[string]any{}}, nil
}

// Create implements cfnsvc.Provider.
func (p *EventInvokeConfigs) Create(ctx context.Context, r cfnsvc.Resource) (cfnsvc.Created, error) {
	return p.put(ctx, r)
}

// Update implements cfnsvc.Provider: another function or qualifier is a
// new config; the rest is put in place.
func (p *EventInvokeConfigs) Update(ctx context.Context, r, old cfnsvc.Resource) (cfnsvc.Created, error) {
	if r.Properties["FunctionName"] != old.Properties["FunctionName"] || r.Properties["Qualifier"] != old.Properties["Qualifier"] {
		return cfnsvc.Created{}, cfnsvc.ErrReplacement
	}
	return p.put(ctx, r)
}

// Delete implements cfnsvc.Provider.
//
// The stand-in's Lambda does not serve DeleteFunctionEventInvokeConfig
// yet (it answers UnsupportedOperationException); until it does, the
// config is put back to Lambda's defaults (2 retries, 6 hours, no
// destinations), which is how a function without one behaves.
func (p *EventInvokeConfigs) Delete(ctx context.Context, r cfnsvc.Resource) error {
	fn, _ := r.Properties["FunctionName"].(string)
	q, _ := r.Properties["Qualifier"].(string)
	_, err := p.lambda.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String(q)})
	if isCode(err, "UnsupportedOperationException") {
		_, err = p.lambda.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String(fn),
			Qualifier: aws.String(q), MaximumRetryAttempts: aws.Int32(lambdaDefaultRetries), MaximumEventAgeInSeconds: aws.Int32(lambdaDefaultEventAge),
			DestinationConfig: &types.DestinationConfig{}})
	}
	if err != nil && !notFound(err) {
		return fmt.Errorf("delete event invoke config of %s:%s: %w", fn, q, err)
	}
	return nil
}
