package handler_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/function/handler"
)

// TestNewS3ClientEndpointFromEnv: AWS_ENDPOINT_URL alone points the client
// at an emulator, with path-style addressing (a virtual-hosted request to
// faces-in.127.0.0.1 would not even resolve).
func TestNewS3ClientEndpointFromEnv(t *testing.T) {
	tests := []struct{ name, envVar string }{
		{"global endpoint", "AWS_ENDPOINT_URL"},
		{"S3 endpoint", "AWS_ENDPOINT_URL_S3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStack(t, "faces-in")
			dir := t.TempDir()
			t.Setenv("AWS_ENDPOINT_URL", "")
			t.Setenv("AWS_ENDPOINT_URL_S3", "")
			t.Setenv(tt.envVar, st.url)
			t.Setenv("AWS_ACCESS_KEY_ID", "test")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
			t.Setenv("AWS_SESSION_TOKEN", "")
			t.Setenv("AWS_REGION", "us-east-1")
			t.Setenv("AWS_PROFILE", "")
			t.Setenv("AWS_CONFIG_FILE", dir+"/config")
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")

			c, err := handler.NewS3Client(ctxT(t))
			if err != nil {
				t.Fatalf("NewS3Client: %v", err)
			}
			if !c.Options().UsePathStyle {
				t.Error("UsePathStyle is off with an endpoint set")
			}
			if got := c.Options().Retryer.MaxAttempts(); got != handler.MaxAttempts {
				t.Errorf("MaxAttempts = %d, want %d", got, handler.MaxAttempts)
			}
			want := []byte("through the env endpoint")
			if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String("faces-in"), Key: aws.String("k"), Body: bytes.NewReader(want)}); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			out, err := st.client.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String("faces-in"), Key: aws.String("k")})
			if err != nil {
				t.Fatalf("object not in the emulator: %v", err)
			}
			got, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if !bytes.Equal(got, want) {
				t.Errorf("stored %q, want %q", got, want)
			}
		})
	}
}

// TestNewS3ClientDefault: without an endpoint the client stays
// virtual-hosted, as AWS recommends.
func TestNewS3ClientDefault(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/config")
	c, err := handler.NewS3Client(ctxT(t))
	if err != nil {
		t.Fatalf("NewS3Client: %v", err)
	}
	if c.Options().UsePathStyle || c.Options().BaseEndpoint != nil {
		t.Errorf("UsePathStyle=%v BaseEndpoint=%v, want virtual-hosted AWS", c.Options().UsePathStyle, c.Options().BaseEndpoint)
	}
}
