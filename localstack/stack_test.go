package localstack

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestCloseRunsStepsInReverseOnceAndJoinsErrors(t *testing.T) {
	st := &Stack{log: quietLogger()}
	var order []string
	boom := errors.New("boom")
	st.onClose(func() error { order = append(order, "first"); return nil })
	st.onClose(func() error { order = append(order, "second"); return boom })
	st.onClose(func() error { order = append(order, "third"); return nil })

	err := st.Close()
	if !errors.Is(err, boom) {
		t.Fatalf("Close = %v, want it to carry %v", err, boom)
	}
	if strings.Join(order, ",") != "third,second,first" {
		t.Errorf("order = %v, want third,second,first (every step runs despite the error)", order)
	}
	if err2 := st.Close(); !errors.Is(err2, boom) || len(order) != 3 {
		t.Errorf("second Close = %v after %d steps; want the same error and no step rerun", err2, len(order))
	}
}

func TestCloseOnEmptyStack(t *testing.T) {
	st := &Stack{log: quietLogger()}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st.FunctionLogs("x") != "" {
		t.Error("FunctionLogs on a stack without logs")
	}
}

// exerciseStack checks that a started stack hands out working clients: a
// bucket round trip through S3 and a ListFunctions through Lambda.
func exerciseStack(t *testing.T, st *Stack) {
	t.Helper()
	ctx := context.Background()
	if st.Region() == "" || st.Credentials() == nil {
		t.Fatalf("region %q credentials %v", st.Region(), st.Credentials())
	}
	if aws.ToString(st.AWSConfig().BaseEndpoint) != st.Endpoint() {
		t.Errorf("AWSConfig endpoint %q != Endpoint %q", aws.ToString(st.AWSConfig().BaseEndpoint), st.Endpoint())
	}
	s3c := st.S3()
	if !s3c.Options().UsePathStyle {
		t.Error("emulator S3 client is not path-style")
	}
	bucket := "facevec-stack-test"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a b/ü.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatalf("put: %v", err)
	}
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a b/ü.txt")})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "hello" {
		t.Errorf("body = %q", body)
	}
	if _, err := st.Lambda().ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Errorf("list functions: %v", err)
	}
	if got := st.FunctionLogs("no-such-function"); strings.Contains(got, "panic") {
		t.Errorf("FunctionLogs: %q", got)
	}
}
