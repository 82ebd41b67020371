package embedded

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fakeService records the requests it gets and answers with a body the
// matching SDK accepts.
type fakeService struct {
	name, body string
	mu         sync.Mutex
	paths      []string
}

func (f *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.Path)
	f.mu.Unlock()
	w.Header().Set("X-Routed-To", f.name)
	_, _ = io.WriteString(w, f.body)
}

func (f *fakeService) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.paths)
}

func newRouterServer(t *testing.T) (url string, s3f, lambdaf *fakeService) {
	t.Helper()
	s3f = &fakeService{name: "s3", body: `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListAllMyBucketsResult>`}
	lambdaf = &fakeService{name: "lambda", body: `{"Functions":[]}`}
	rt := &router{s3: s3f, lambda: lambdaf, region: "us-east-1", log: slog.New(slog.DiscardHandler),
		cloudformation: &fakeService{name: "cloudformation"}, sts: &fakeService{name: "sts"}}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return srv.URL, s3f, lambdaf
}

func TestRouting(t *testing.T) {
	url, _, _ := newRouterServer(t)
	sig := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	}
	tests := []struct {
		name, method, path, auth string
		want                     string // X-Routed-To, or "" for the unknown-service error
		status                   int
	}{
		{"signed s3 bucket", "GET", "/photos", sig("s3"), "s3", 200},
		{"signed s3 on a lambda-looking path", "GET", "/2015-03-31/functions/", sig("s3"), "s3", 200},
		{"signed lambda", "GET", "/2015-03-31/functions/", sig("lambda"), "lambda", 200},
		{"signed lambda on any path", "GET", "/photos", sig("lambda"), "lambda", 200},
		{"presigned s3", "GET", "/photos/a.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00", "", "s3", 200},
		{"unsigned functions", "GET", "/2015-03-31/functions/", "", "lambda", 200},
		{"unsigned tags", "GET", "/2017-03-31/tags/arn", "", "lambda", 200},
		{"unsigned event invoke config", "GET", "/2019-09-25/functions/f/event-invoke-config", "", "lambda", 200},
		{"unsigned runtime api", "GET", "/2018-06-01/runtime/invocation/next", "", "lambda", 200},
		{"unsigned object", "GET", "/photos/a.jpg", "", "s3", 200},
		{"unsigned root", "GET", "/", "", "s3", 200},
		{"sigv2 goes by path", "GET", "/photos", "AWS AKID:sig", "s3", 200},
		{"signed cloudformation", "POST", "/", sig("cloudformation"), "cloudformation", 200},
		{"signed sts", "POST", "/", sig("sts"), "sts", 200},
		{"unknown service", "POST", "/", sig("sqs"), "", 501},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, url+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := resp.Header.Get("X-Routed-To"); got != tt.want || resp.StatusCode != tt.status {
				t.Fatalf("routed to %q with %d, want %q with %d; body %s", got, resp.StatusCode, tt.want, tt.status, body)
			}
			if tt.want == "" && !strings.Contains(string(body), "signed for service sqs") {
				t.Fatalf("unknown-service error does not name the service: %s", body)
			}
		})
	}
}

// TestRoutingSDK: the SDKs' real signatures route to the right service.
func TestRoutingSDK(t *testing.T) {
	url, s3f, lambdaf := newRouterServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	creds := credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")

	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true, Credentials: creds})
	if _, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds})
	if _, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Fatalf("ListFunctions: %v", err)
	}
	presigned, err := s3.NewPresignClient(s3c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("a.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(presigned.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s3f.count() != 2 || lambdaf.count() != 1 {
		t.Fatalf("s3 got %v, lambda got %v; want 2 and 1", s3f.paths, lambdaf.paths)
	}
}

func TestHealth(t *testing.T) {
	url, s3f, lambdaf := newRouterServer(t)
	for _, path := range []string{HealthPath, LocalStackHealthPath} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h Health
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatalf("%s body: %v", path, err)
		}
		if resp.StatusCode != 200 || h.Services["s3"] != "running" || h.Services["lambda"] != "running" || h.Edition != "embedded" || h.Region != "us-east-1" {
			t.Fatalf("%s = %d %+v", path, resp.StatusCode, h)
		}
	}
	if s3f.count()+lambdaf.count() != 0 {
		t.Fatal("the health check reached a service")
	}
}
