package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/facevec/facevec/internal/lambdazip/lambdaziptest"
)

// buildFunctionZip builds testdata/s3copyfn as a provided.al2023 bootstrap
// and zips it.
func buildFunctionZip(t *testing.T) []byte {
	t.Helper()
	return lambdaziptest.Bootstrap(t, lambdaziptest.BuildFunction(t, "./testdata/s3copyfn"))
}

// TestUploadTriggersFunction runs the whole loop on one listener: code
// deployed from S3, a bucket notification, an upload, the function invoked
// asynchronously and writing its result back through the same endpoint.
func TestUploadTriggersFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Lambda function")
	}
	zipped := buildFunctionZip(t)
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s3c, lc := clients(srv)

	for _, b := range []string{"code", "uploads"} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("CreateBucket %s: %v", b, err)
		}
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("code"), Key: aws.String("fn.zip"), Body: bytes.NewReader(zipped)}); err != nil {
		t.Fatalf("upload code: %v", err)
	}
	fn, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("copyfn"),
		Runtime:      ltypes.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String("arn:aws:iam::000000000000:role/lambda"),
		Code:         &ltypes.FunctionCode{S3Bucket: aws.String("code"), S3Key: aws.String("fn.zip")},
		Timeout:      aws.Int32(30),
	})
	if err != nil {
		t.Fatalf("CreateFunction from S3 code: %v", err)
	}
	if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String("uploads"),
		NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{{
			Id: aws.String("to-copyfn"), LambdaFunctionArn: fn.FunctionArn, Events: []types.Event{"s3:ObjectCreated:*"},
			Filter: &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: []types.FilterRule{
				{Name: types.FilterRuleNamePrefix, Value: aws.String("in/")}, // the reports go elsewhere: no loop
			}}},
		}}},
	}); err != nil {
		t.Fatalf("PutBucketNotificationConfiguration: %v", err)
	}

	const key = "in/a photo Zoë.jpg"
	put, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key), Body: strings.NewReader("fake jpeg")})
	if err != nil {
		t.Fatal(err)
	}

	body := waitForObject(ctx, t, s3c, "uploads", "processed/"+key+".json", srv)
	var report map[string]any
	if err := json.Unmarshal(body, &report); err != nil {
		t.Fatalf("report %s: %v", body, err)
	}
	want := map[string]any{
		"event_name": "ObjectCreated:Put", "key": key, "event_etag": strings.Trim(aws.ToString(put.ETag), `"`),
		"read_etag": aws.ToString(put.ETag), "configuration_id": "to-copyfn", "bucket": "uploads",
		"event_size": float64(len("fake jpeg")), "read_bytes": float64(len("fake jpeg")),
	}
	for k, v := range want {
		if report[k] != v {
			t.Errorf("report %s = %#v, want %#v", k, report[k], v)
		}
	}
	if st := srv.S3().Stats(); st.Failed != 0 || st.Delivered != 1 {
		t.Errorf("S3 delivery stats = %+v, want exactly one delivered (the report is outside the prefix)", st)
	}
	if logs := srv.Lambda().Logs("copyfn"); !strings.Contains(logs, "processed s3://uploads/"+key) {
		t.Errorf("function logs lack the processed line:\n%s", logs)
	}
}

// waitForObject polls until bucket/key exists: the function runs
// asynchronously. Failure reports the function's logs.
func waitForObject(ctx context.Context, t *testing.T, c *s3.Client, bucket, key string, srv *Server) []byte {
	t.Helper()
	for {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err == nil {
			b, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		var nsk *types.NoSuchKey
		if !errors.As(err, &nsk) {
			t.Fatalf("GetObject %s: %v", key, err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("s3://%s/%s never appeared; function logs:\n%s", bucket, key, srv.Lambda().Logs("copyfn"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}
