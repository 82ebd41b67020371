package sigv4

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestFromRequest(t *testing.T) {
	tests := []struct {
		name   string
		auth   string
		target string
		want   Credential
		ok     bool
	}{
		{
			name: "header",
			auth: "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
			want: Credential{AccessKeyID: "AKID", Date: "20250101", Region: "us-east-1", Service: "s3"},
			ok:   true,
		},
		{
			name: "header without spaces after commas",
			auth: "AWS4-HMAC-SHA256 Credential=test/20250101/eu-west-1/lambda/aws4_request,SignedHeaders=host,Signature=abc",
			want: Credential{AccessKeyID: "test", Date: "20250101", Region: "eu-west-1", Service: "lambda"},
			ok:   true,
		},
		{
			name:   "presigned query",
			target: "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x",
			want:   Credential{AccessKeyID: "AKID", Date: "20250101", Region: "us-east-1", Service: "s3"},
			ok:     true,
		},
		{name: "unsigned"},
		{name: "sigv2", auth: "AWS AKID:signature"},
		{name: "truncated scope", auth: "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1, Signature=abc"},
		{name: "wrong terminator", auth: "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/s3/aws5_request"},
		{name: "empty service", auth: "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1//aws4_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if target == "" {
				target = "/"
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			got, ok := FromRequest(r)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("FromRequest = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
