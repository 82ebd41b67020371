package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/function/handler"
)

// headFaults is a proxy in front of the stack that answers HeadObject of
// some paths with 503 SlowDown: the first failures[path] times, or
// always when that is negative. It counts every HEAD.
type headFaults struct {
	proxy    *httputil.ReverseProxy
	mu       sync.Mutex
	failures map[string]int
	heads    map[string]int
}

func (f *headFaults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		f.mu.Lock()
		f.heads[r.URL.Path]++
		n, ok := f.failures[r.URL.Path]
		if ok && n != 0 {
			f.failures[r.URL.Path] = n - 1
		}
		f.mu.Unlock()
		if ok && n != 0 {
			w.Header().Set("x-amz-error-code", "SlowDown")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
	}
	f.proxy.ServeHTTP(w, r)
}

func (f *headFaults) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.heads[path]
}

// TestIndexHeadErrors: only S3 saying the photo is not there (404) or is
// another object now makes `facevec index` skip a result as gone or
// replaced. A HEAD that fails for a while is
// retried and the photo indexed; one that keeps failing (503 on every
// attempt) is retried a bounded number of times, then reported, and the
// exit code says the run is incomplete.
func TestIndexHeadErrors(t *testing.T) {
	models := modelsFlag(t)
	s3c, srv := startVectorStack(t)
	storeResult(t, s3c, models, fixture(t, "people/grace hopper.jpg"), "flaky.jpg", false)
	storeResult(t, s3c, models, fixture(t, "people/collins-crop.jpg"), "down.jpg", false)
	storeResult(t, s3c, models, fixture(t, "people/hopper-half.jpg"), "deleted.jpg", true)
	// A result of another ETag than the object now under its key.
	storeResult(t, s3c, models, fixture(t, "people/hopper-crop.jpg"), "replaced.jpg", true)
	if _, err := s3c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("photos-in"), Key: aws.String("replaced.jpg"),
		Body: strings.NewReader("a newer photo")}); err != nil {
		t.Fatal(err)
	}

	target, err := url.Parse(srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	faults := &headFaults{
		proxy:    httputil.NewSingleHostReverseProxy(target),
		failures: map[string]int{"/photos-in/flaky.jpg": 2, "/photos-in/down.jpg": -1},
		heads:    map[string]int{},
	}
	proxy := httptest.NewServer(faults)
	t.Cleanup(proxy.Close)
	t.Setenv("AWS_ENDPOINT_URL", proxy.URL)

	code, out, stderr := run(t, "index")
	t.Logf("stdout: %sstderr: %s", out, stderr)
	if code != ExitError {
		t.Errorf("exit %d; want %d (a photo could not be checked)", code, ExitError)
	}
	if !strings.Contains(out, "indexed 1 photos (1 faces)") || !strings.Contains(out, "2 skipped") || !strings.Contains(out, "1 failed") {
		t.Errorf("summary %q; want flaky.jpg indexed, deleted.jpg and replaced.jpg skipped, down.jpg failed", out)
	}
	if !strings.Contains(stderr, "down.jpg") || !strings.Contains(stderr, "503") {
		t.Errorf("stderr %q does not report down.jpg's 503", stderr)
	}
	if got := srv.S3Vectors().Stats().Vectors; got != 1 {
		t.Errorf("index holds %d vectors; want flaky.jpg's one face", got)
	}
	if n := faults.count("/photos-in/down.jpg"); n != handler.MaxAttempts {
		t.Errorf("down.jpg was asked %d times; want the client's %d attempts", n, handler.MaxAttempts)
	}
}
