package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/function/vectorindex"
)

// vectorFlags name the S3 Vectors index, defaulting to the function's own
// variables so that a shell set up for the function works as it is, and
// say what the service's distance is.
type vectorFlags struct{ bucket, index, distance string }

// EnvVectorDistance is what QueryVectors' euclidean distance is, as
// `facevec index --calibrate` (deploy/smoke.sh) measured it: "euclidean"
// (what the API reference implies) or "squared".
const EnvVectorDistance = "FACEVEC_VECTOR_DISTANCE"

func (f *vectorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.bucket, "vector-bucket", os.Getenv(handler.EnvVectorBucket), "S3 Vectors bucket (env "+handler.EnvVectorBucket+")")
	fs.StringVar(&f.index, "vector-index", os.Getenv(handler.EnvVectorIndex), "S3 Vectors index (env "+handler.EnvVectorIndex+")")
	fs.StringVar(&f.distance, "distance", cmp.Or(os.Getenv(EnvVectorDistance), "euclidean"),
		"what the service's distance is: euclidean, or squared (measure it with facevec index --calibrate; env "+EnvVectorDistance+")")
}

func (f *vectorFlags) validate() string {
	if f.distance != "euclidean" && f.distance != "squared" {
		return fmt.Sprintf("--distance %q: want euclidean or squared", f.distance)
	}
	if f.bucket == "" || f.index == "" {
		return fmt.Sprintf("name the vector index: --vector-bucket and --vector-index, or %s and %s", handler.EnvVectorBucket, handler.EnvVectorIndex)
	}
	if err := vectorindex.CheckNames(f.bucket, f.index); err != nil {
		return err.Error()
	}
	return ""
}

// open connects to the index with the default AWS configuration chain,
// which honours AWS_ENDPOINT_URL (an emulator such as `facevec stack`).
func (f *vectorFlags) open(ctx context.Context) (*vectorindex.Index, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return vectorindex.New(s3vectors.NewFromConfig(cfg), f.bucket, f.index, vectorindex.WithSquaredDistance(f.distance == "squared"))
}
