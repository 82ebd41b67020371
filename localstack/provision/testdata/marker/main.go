// Command marker is a stand-in for the facevec function in provisioner
// tests: for every S3 record it writes a small JSON marker to
// OUTPUT_BUCKET under OUTPUT_PREFIX + key + ".json", through the endpoint
// the runtime hands it in AWS_ENDPOINT_URL. It proves the notification →
// invocation → S3 write path without dlib. Built with -tags lambda.norpc.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// build is set with -ldflags "-X main.build=…" so tests can tell code
// versions apart.
var build = "dev"

// Marker is the object the function writes.
type Marker struct {
	Build  string `json:"build"`
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	Extra  string `json:"extra"`
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("load AWS config: %v", err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// Emulators are reached by IP:port; virtual-host buckets would not resolve.
		o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL") != ""
	})
	outBucket, prefix := os.Getenv("OUTPUT_BUCKET"), os.Getenv("OUTPUT_PREFIX")
	lambda.Start(func(ctx context.Context, ev events.S3Event) (map[string]any, error) {
		var done []string
		for _, r := range ev.Records {
			key, err := url.QueryUnescape(r.S3.Object.Key)
			if err != nil {
				return nil, fmt.Errorf("decode key %q: %w", r.S3.Object.Key, err)
			}
			bucket := outBucket
			if bucket == "" {
				bucket = r.S3.Bucket.Name
			}
			if bucket == r.S3.Bucket.Name && strings.HasPrefix(key, prefix) {
				log.Printf("marker: skip %s (under %s)", key, prefix)
				continue
			}
			body, _ := json.Marshal(Marker{Build: build, Bucket: r.S3.Bucket.Name, Key: key, Size: r.S3.Object.Size, Extra: os.Getenv("MARKER_EXTRA")})
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket),
				Key:    aws.String(prefix + key + ".json"),
				Body:   strings.NewReader(string(body)),
			}); err != nil {
				return nil, fmt.Errorf("write marker for %s: %w", key, err)
			}
			log.Printf("marker: wrote s3://%s/%s%s.json", bucket, prefix, key)
			done = append(done, key)
		}
		return map[string]any{"done": done}, nil
	})
}
