package cfnproviders

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/facevec/facevec/localstack/embedded/cfnsvc"
)

type encryptionProps struct {
	SseType   string `json:"SseType"`
	KmsKeyArn string `json:"KmsKeyArn"`
}

func (e *encryptionProps) sdk() *types.EncryptionConfiguration {
	if e == nil {
		return nil
	}
	out := &types.EncryptionConfiguration{SseType: types.SseType(e.SseType)}
	if e.KmsKeyArn != "" {
		out.KmsKeyArn = aws.String(e.KmsKeyArn)
	}
	return out
}

func tagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

type vectorBucketProps struct {
	VectorBucketName        string           `json:"VectorBucketName"`
	EncryptionConfiguration *encryptionProps `json:"EncryptionConfiguration"`
	Tags                    []Tag            `json:"Tags"`
}

// VectorBuckets is the AWS::S3Vectors::VectorBucket provider, through the
// stand-in's S3 Vectors API. Ref gives the bucket ARN (its primary
// identifier, as in CloudFormation).
type VectorBuckets struct{ vectors *s3vectors.Client }

// NewVectorBuckets makes the vector bucket provider.
func NewVectorBuckets(c Clients) *VectorBuckets { return &VectorBuckets{vectors: c.Vectors} }

// Create implements cfnsvc.Provider.
func (p *VectorBuckets) Create(ctx context.Context, r cfnsvc.Resource) (cfnsvc.Created, error) {
	var props vectorBucketProps
	if err := decode(r, &props); err != nil {
		return cfnsvc.Created{}, err
	}
	name := orGenerated(r, props.VectorBucketName, 63, true)
	if _, err := p.vectors.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String(name),
		EncryptionConfiguration: props.EncryptionConfiguration.sdk(), Tags: tagMap(props.Tags)}); err != nil {
		return cfnsvc.Created{}, fmt.Errorf("create vector bucket %s: %w", name, err)
	}
	got, err := p.vectors.GetVectorBucket(ctx, &s3vectors.GetVectorBucketInput{VectorBucketName: aws.String(name)})
	if err != nil {
		return cfnsvc.Created{}, fmt.Errorf("read vector bucket %s: %w", name, err)
	}
	arn := aws.ToString(got.VectorBucket.VectorBucketArn)
	return cfnsvc.Created{PhysicalID: arn, Attributes: map[string]any{
		"VectorBucketArn": arn, "CreationTime": aws.ToTime(got.VectorBucket.CreationTime).UTC().Format(time.RFC3339)}}, nil
}

// Update implements cfnsvc.Provider: every property makes a new bucket.
func (p *VectorBuckets) Update(context.Context, cfnsvc.Resource, cfnsvc.Resource) (cfnsvc.Created, error) {
	return cfnsvc.Created{}, cfnsvc.ErrReplacement
}

// Delete implements cfnsvc.Provider. A bucket that still has indexes is
// refused by the service, and the stack reports DELETE_FAILED.
func (p *VectorBuckets) Delete(ctx context.Context, r cfnsvc.Resource) error {
	_, err := p.vectors.DeleteVectorBucket(ctx, &s3vectors.DeleteVectorBucketInput{VectorBucketArn: aws.String(r.PhysicalID)})
	if err != nil && !vectorsNotFound(err) {
		return fmt.Errorf("delete vector bucket %s: %w", r.PhysicalID, err)
	}
	return nil
}

type indexProps struct {
	IndexName             string `json:"IndexName"`
	VectorBucketName      string `json:"VectorBucketName"`
	VectorBucketArn       string `json:"VectorBucketArn"`
	DataType              string `json:"DataType"`
	Dimension             Int    `json:"Dimension"`
	DistanceMetric        string `json:"DistanceMetric"`
	MetadataConfiguration *struct {
		NonFilterableMetadataKeys []string `json:"NonFilterableMetadataKeys"`
	} `json:"MetadataConfiguration"`
	EncryptionConfiguration *encryptionProps `json:"EncryptionConfiguration"`
	Tags                    []Tag            `json:"Tags"`
}

// VectorIndexes is the AWS::S3Vectors::Index provider. Ref gives the
// index ARN.
type VectorIndexes struct{ vectors *s3vectors.Client }

// NewVectorIndexes makes the index provider.
func NewVectorIndexes(c Clients) *VectorIndexes { return &VectorIndexes{vectors: c.Vectors} }

// Create implements cfnsvc.Provider.
func (p *VectorIndexes) Create(ctx context.Context, r cfnsvc.Resource) (cfnsvc.Created, error) {
	var props indexProps
	if err := decode(r, &props); err != nil {
		return cfnsvc.Created{}, err
	}
	if props.VectorBucketName == "" && props.VectorBucketArn == "" {
		return cfnsvc.Created{}, required(r, "VectorBucketName or VectorBucketArn", "")
	}
	name := orGenerated(r, props.IndexName, 63, true)
	in := &s3vectors.CreateIndexInput{IndexName: aws.String(name), DataType: types.DataType(props.DataType),
		Dimension: props.Dimension.Ptr32(), DistanceMetric: types.DistanceMetric(props.DistanceMetric),
		EncryptionConfiguration: props.EncryptionConfiguration.sdk(), Tags: tagMap(props.Tags)}
	if props.VectorBucketArn != "" {
		in.VectorBucketArn = aws.String(props.VectorBucketArn)
	} else {
		in.VectorBucketName = aws.String(props.VectorBucketName)
	}
	if m := props.MetadataConfiguration; m != nil {
		in.MetadataConfiguration = &types.MetadataConfiguration{NonFilterableMetadataKeys: m.NonFilterableMetadataKeys}
	}
	made, err := p.vectors.CreateIndex(ctx, in)
	if err != nil {
		return cfnsvc.Created{}, fmt.Errorf("create vector index %s: %w", name, err)
	}
	got, err := p.vectors.GetIndex(ctx, &s3vectors.GetIndexInput{IndexArn: made.IndexArn})
	if err != nil {
		return cfnsvc.Created{}, fmt.Errorf("read vector index %s: %w", name, err)
	}
	arn := aws.ToString(got.Index.IndexArn)
	return cfnsvc.Created{PhysicalID: arn, Attributes: map[string]any{
		"IndexArn": arn, "CreationTime": aws.ToTime(got.Index.CreationTime).UTC().Format(time.RFC3339)}}, nil
}

// Update implements cfnsvc.Provider: every property makes a new index.
func (p *VectorIndexes) Update(context.Context, cfnsvc.Resource, cfnsvc.Resource) (cfnsvc.Created, error) {
	return cfnsvc.Created{}, cfnsvc.ErrReplacement
}

// Delete implements cfnsvc.Provider. The index's vectors go with it, as
// with DeleteIndex on AWS.
func (p *VectorIndexes) Delete(ctx context.Context, r cfnsvc.Resource) error {
	_, err := p.vectors.DeleteIndex(ctx, &s3vectors.DeleteIndexInput{IndexArn: aws.String(r.PhysicalID)})
	if err != nil && !vectorsNotFound(err) {
		return fmt.Errorf("delete vector index %s: %w", r.PhysicalID, err)
	}
	return nil
}

func vectorsNotFound(err error) bool {
	var nf *types.NotFoundException
	return errors.As(err, &nf) || isCode(err, "NotFoundException") || strings.Contains(err.Error(), "NotFound")
}
