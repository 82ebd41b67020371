package provision

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestFailedFunctionSaysWhy: a function LocalStack could not start (it
// cannot reach the Docker socket) ends Failed; the error names the reason
// and the likely cause, not only that a waiter failed.
func TestFailedFunctionSaysWhy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Configuration": {"FunctionName": "facevec", "State": "Failed",
			"StateReasonCode": "InternalError", "StateReason": "Error while creating lambda: Docker not available"}}`))
	}))
	defer srv.Close()
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	err := waitActive(context.Background(), lc, "facevec")
	if err == nil {
		t.Fatal("waitActive succeeded on a Failed function")
	}
	for _, want := range []string{"InternalError", "Docker not available", "Docker socket"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
