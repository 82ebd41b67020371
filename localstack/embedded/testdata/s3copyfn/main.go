// Command s3copyfn is the test function of package embedded: for each S3
// event it reads the object through the stack's endpoint and writes
// processed/<key>.json next to it, describing the event and what it read.
// It exercises the whole loop: notification, async invoke, the function's
// own signed S3 calls routed by the shared listener.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Report is what the function writes per record.
type Report struct {
	EventName  string `json:"event_name"`
	Key        string `json:"key"`
	EventETag  string `json:"event_etag"`
	EventSize  int64  `json:"event_size"`
	ReadETag   string `json:"read_etag"`
	ReadBytes  int    `json:"read_bytes"`
	ConfigID   string `json:"configuration_id"`
	BucketName string `json:"bucket"`
}

func handle(ctx context.Context, ev events.S3Event) error {
	cfg, err := config.LoadDefaultConfig(ctx) // AWS_ENDPOINT_URL points at the stack
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	for _, rec := range ev.Records {
		bucket, key := rec.S3.Bucket.Name, rec.S3.Object.URLDecodedKey
		// If-Match with the event's eTag: it must be the stored object's.
		obj, err := client.GetObject(ctx, &s3.GetObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(`"` + rec.S3.Object.ETag + `"`),
		})
		if err != nil {
			return fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
		}
		body, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		if err != nil {
			return fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
		}
		out, err := json.Marshal(Report{
			EventName: rec.EventName, Key: key, EventETag: rec.S3.Object.ETag, EventSize: rec.S3.Object.Size,
			ReadETag: aws.ToString(obj.ETag), ReadBytes: len(body), ConfigID: rec.S3.ConfigurationID, BucketName: bucket,
		})
		if err != nil {
			return err
		}
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String("processed/" + key + ".json"), Body: bytes.NewReader(out),
		}); err != nil {
			return fmt.Errorf("put report for %s: %w", key, err)
		}
		fmt.Printf("processed s3://%s/%s\n", bucket, key)
	}
	return nil
}

func main() { lambda.Start(handle) }
