package s3svc

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// BenchmarkPutObjectNotified measures a 64 KiB PutObject over loopback with
// a matching notification, i.e. the request path an upload takes.
func BenchmarkPutObjectNotified(b *testing.B) {
	inv := &recorder{}
	svc, err := New(WithInvoker(inv))
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	url := serveBench(b, svc)
	client := newClient(url, 1)
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	if _, err := client.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String("bench"),
		NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{
			lambdaConfig("all", testARN, []types.Event{"s3:ObjectCreated:*"}),
		}},
	}); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 64<<10)
	b.SetBytes(int64(len(body)))
	for i := 0; b.Loop(); i++ {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("bench"), Key: aws.String(fmt.Sprintf("k%d", i%100)), Body: bytes.NewReader(body),
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := svc.WaitIdle(ctx); err != nil {
		b.Fatal(err)
	}
}
