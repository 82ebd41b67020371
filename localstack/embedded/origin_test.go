package embedded

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestWebPagesCannotReadTheStack: a browser page of another origin gets
// 403 instead of the bucket listing (gofakes3 alone answers it with
// Access-Control-Allow-Origin: *), and so does a DNS-rebinding request
// whose Host names another site; local pages and allowed origins are
// served, with CORS allowing exactly their origin.
func TestWebPagesCannotReadTheStack(t *testing.T) {
	srv := startServer(t, WithAllowedOrigins("https://app.example.test"))
	ctx := context.Background()
	c, _ := clients(srv)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vectors")}); err != nil {
		t.Fatal(err)
	}
	get := func(origin, host string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.Endpoint()+"/vectors?list-type=2", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	for _, tc := range []struct {
		name, origin, host string
		wantStatus         int
		wantACAO           string
	}{
		{"evil page", "https://evil.example", "", http.StatusForbidden, ""},
		{"null origin (file:// page)", "null", "", http.StatusForbidden, ""},
		{"DNS rebinding", "", "evil.example:4566", http.StatusForbidden, ""},
		{"local page", "http://localhost:3000", "", http.StatusOK, "http://localhost:3000"},
		{"loopback page", "http://127.0.0.1:8080", "", http.StatusOK, "http://127.0.0.1:8080"},
		{"allowed origin", "https://app.example.test", "", http.StatusOK, "https://app.example.test"},
		{"CLI, no origin", "", "", http.StatusOK, ""},
		{"LocalStack's local name", "", "s3.localhost.localstack.cloud:4566", http.StatusOK, ""},
		{"a Docker gateway's address", "", "192.0.2.1:32769", http.StatusOK, ""},
	} {
		resp, body := get(tc.origin, tc.host)
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%s: status %d, want %d (%.100s)", tc.name, resp.StatusCode, tc.wantStatus, body)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.wantACAO {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", tc.name, got, tc.wantACAO)
		}
		if tc.wantStatus == http.StatusForbidden && strings.Contains(body, "ListBucketResult") {
			t.Errorf("%s: the listing was served", tc.name)
		}
	}
}

// TestStartingHealth: a stack started WithStartingHealth reports its
// services as initializing (which the harness's wait, like LocalStack's
// users, does not take for ready) until Ready.
func TestStartingHealth(t *testing.T) {
	srv := startServer(t, WithStartingHealth())
	state := func() string {
		t.Helper()
		resp, err := http.Get(srv.Endpoint() + LocalStackHealthPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h Health
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		return h.Services["s3"] + "," + h.Services["lambda"]
	}
	if got := state(); got != "initializing,initializing" {
		t.Errorf("before Ready: %s, want initializing for both", got)
	}
	srv.Ready()
	if got := state(); got != "running,running" {
		t.Errorf("after Ready: %s, want running for both", got)
	}
}

// TestHeadAnswersAllowOnlyTheOrigin: HEAD answers have no body, so the
// CORS rewrite must not depend on one being written: gofakes3's "*" is
// dropped for a client without Origin and narrowed to the local page's
// origin for one with it, as for GET.
func TestHeadAnswersAllowOnlyTheOrigin(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	c, _ := clients(srv)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("a.jpg"), Body: strings.NewReader("jpeg")}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/photos/a.jpg", "/photos", "/photos/missing.jpg"} {
		for _, origin := range []string{"", "http://localhost:3000"} {
			req, _ := http.NewRequest(http.MethodHead, srv.Endpoint()+path, nil)
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
				t.Errorf("HEAD %s with Origin %q (status %d): Access-Control-Allow-Origin %q, want %q", path, origin, resp.StatusCode, got, origin)
			}
		}
	}
}
