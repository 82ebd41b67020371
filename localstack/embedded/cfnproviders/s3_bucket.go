package cfnproviders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/facevec/facevec/localstack/embedded/cfnsvc"
)

type filterRules struct {
	S3Key struct {
		Rules []struct {
			Name  string `json:"Name"`
			Value string `json:"Value"`
		} `json:"Rules"`
	} `json:"S3Key"`
}

type notificationTarget struct {
	Event    string       `json:"Event"`
	Filter   *filterRules `json:"Filter"`
	Function string       `json:"Function"`
	Queue    string       `json:"Queue"`
	Topic    string       `json:"Topic"`
}

type bucketProps struct {
	BucketName                string `json:"BucketName"`
	NotificationConfiguration *struct {
		LambdaConfigurations     []notificationTarget `json:"LambdaConfigurations"`
		QueueConfigurations      []notificationTarget `json:"QueueConfigurations"`
		TopicConfigurations      []notificationTarget `json:"TopicConfigurations"`
		EventBridgeConfiguration *struct {
			EventBridgeEnabled Bool `json:"EventBridgeEnabled"`
		} `json:"EventBridgeConfiguration"`
	} `json:"NotificationConfiguration"`
	Tags []Tag `json:"Tags"`
	// Accepted and not applied: the stand-in's S3 neither encrypts at rest
	// nor serves public access, so these change nothing it could show.
	BucketEncryption               json.RawMessage `json:"BucketEncryption"`
	PublicAccessBlockConfiguration json.RawMessage `json:"PublicAccessBlockConfiguration"`
	OwnershipControls              json.RawMessage `json:"OwnershipControls"`
}

// Buckets is the AWS::S3::Bucket provider: CreateBucket, the bucket's
// notification configuration and tags through the stand-in's S3 API.
type Buckets struct {
	s3     *s3.Client
	region string
}

// NewBuckets makes the bucket provider.
func NewBuckets(c Clients, region string) *Buckets { return &Buckets{s3: c.S3, region: region} }

func (p *Buckets) props(r cfnsvc.Resource) (bucketProps, error) {
	var props bucketProps
	err := decode(r, &props)
	return props, err
}

// Create implements cfnsvc.Provider.
func (p *Buckets) Create(ctx context.Context, r cfnsvc.Resource) (cfnsvc.Created, error) {
	props, err := p.props(r)
	if err != nil {
		return cfnsvc.Created{}, err
	}
	name := orGenerated(r, props.BucketName, 63, true)
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if p.region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(p.region)}
	}
	if _, err := p.s3.CreateBucket(ctx, in); err != nil {
		return cfnsvc.Created{}, fmt.Errorf("%s already exists or cannot be created: %w", name, err)
	}
	if err := p.configure(ctx, name, props); err != nil {
		// The bucket is new and empty: leave nothing half made.
		_, _ = p.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
		return cfnsvc.Created{}, err
	}
	return p.created(name), nil
}

func (p *Buckets) created(name string) cfnsvc.Created {
	return cfnsvc.Created{PhysicalID: name, Attributes: map[string]any{
		"Arn":                "arn:aws:s3:::" + name,
		"DomainName":         name + ".s3.amazonaws.com",
		"RegionalDomainName": fmt.Sprintf("%s.s3.%s.amazonaws.com", name, p.region),
	}}
}

// configure applies the notifications and tags (both replace whatever the
// bucket had, as CloudFormation's full-state properties do).
func (p *Buckets) configure(ctx context.Context, name string, props bucketProps) error {
	cfg := &types.NotificationConfiguration{}
	if n := props.NotificationConfiguration; n != nil {
		for _, l := range n.LambdaConfigurations {
			cfg.LambdaFunctionConfigurations = append(cfg.LambdaFunctionConfigurations, types.LambdaFunctionConfiguration{
				LambdaFunctionArn: aws.String(l.Function), Events: []types.Event{types.Event(l.Event)}, Filter: keyFilter(l.Filter)})
		}
		for _, q := range n.QueueConfigurations {
			cfg.QueueConfigurations = append(cfg.QueueConfigurations, types.QueueConfiguration{
				QueueArn: aws.String(q.Queue), Events: []types.Event{types.Event(q.Event)}, Filter: keyFilter(q.Filter)})
		}
		for _, t := range n.TopicConfigurations {
			cfg.TopicConfigurations = append(cfg.TopicConfigurations, types.TopicConfiguration{
				TopicArn: aws.String(t.Topic), Events: []types.Event{types.Event(t.Event)}, Filter: keyFilter(t.Filter)})
		}
		if n.EventBridgeConfiguration != nil && n.EventBridgeConfiguration.EventBridgeEnabled.Value {
			cfg.EventBridgeConfiguration = &types.EventBridgeConfiguration{}
		}
	}
	if _, err := p.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(name), NotificationConfiguration: cfg}); err != nil {
		return fmt.Errorf("Unable to validate the following destination configurations (bucket %s): %w", name, err)
	}
	if len(props.Tags) > 0 {
		tags := make([]types.Tag, len(props.Tags))
		for i, t := range props.Tags {
			tags[i] = types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)}
		}
		if _, err := p.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(name), Tagging: &types.Tagging{TagSet: tags}}); err != nil {
			return fmt.Errorf("tag bucket %s: %w", name, err)
		}
	}
	return nil
}

func keyFilter(f *filterRules) *types.NotificationConfigurationFilter {
	if f == nil {
		return nil
	}
	out := &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{}}
	for _, r := range f.S3Key.Rules {
		out.Key.FilterRules = append(out.Key.FilterRules, types.FilterRule{Name: types.FilterRuleName(r.Name), Value: aws.String(r.Value)})
	}
	return out
}

// Update implements cfnsvc.Provider: a new name is a new bucket.
func (p *Buckets) Update(ctx context.Context, r, old cfnsvc.Resource) (cfnsvc.Created, error) {
	if r.Properties["BucketName"] != old.Properties["BucketName"] {
		return cfnsvc.Created{}, cfnsvc.ErrReplacement
	}
	props, err := p.props(r)
	if err != nil {
		return cfnsvc.Created{}, err
	}
	if err := p.configure(ctx, old.PhysicalID, props); err != nil {
		return cfnsvc.Created{}, err
	}
	return p.created(old.PhysicalID), nil
}

// Delete implements cfnsvc.Provider. A bucket that still holds objects is
// not emptied: S3 refuses, and the stack reports DELETE_FAILED, as on AWS.
func (p *Buckets) Delete(ctx context.Context, r cfnsvc.Resource) error {
	_, err := p.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(r.PhysicalID)})
	var missing *types.NoSuchBucket
	if err != nil && !errors.As(err, &missing) && !isCode(err, "NoSuchBucket") {
		return fmt.Errorf("delete bucket %s: %w", r.PhysicalID, err)
	}
	return nil
}
