package cfnproviders

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
)

// Clients are the SDK clients the providers call the stand-in's services
// with, as CloudFormation calls the real ones.
type Clients struct {
	S3      *s3.Client
	Lambda  *lambda.Client
	Vectors *s3vectors.Client
}

// NewClients makes clients for the stand-in at endpoint (path-style S3).
func NewClients(endpoint, region string) Clients {
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("cloudformation", "cloudformation", "")}
	return Clients{
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint, o.UsePathStyle = aws.String(endpoint), true
		}),
		Lambda:  lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(endpoint) }),
		Vectors: s3vectors.NewFromConfig(cfg, func(o *s3vectors.Options) { o.BaseEndpoint = aws.String(endpoint) }),
	}
}
