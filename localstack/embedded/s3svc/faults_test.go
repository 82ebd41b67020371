package s3svc

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestFaultsAddValidates(t *testing.T) {
	tests := []struct {
		name string
		f    Fault
		ok   bool
	}{
		{"slowdown", Fault{Op: OpGetObject, Times: 1, SlowDown: true}, true},
		{"delay", Fault{Op: OpPutObject, Times: 2, Delay: time.Millisecond}, true},
		{"unknown op", Fault{Op: "DeleteObject", Times: 1, SlowDown: true}, false},
		{"zero times", Fault{Op: OpGetObject, SlowDown: true}, false},
		{"negative delay", Fault{Op: OpGetObject, Times: 1, Delay: -time.Second}, false},
		{"does nothing", Fault{Op: OpGetObject, Times: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Faults
			err := f.Add(tt.f)
			if (err == nil) != tt.ok {
				t.Fatalf("Add(%+v) = %v, want ok=%v", tt.f, err, tt.ok)
			}
			if want := map[bool]int{true: tt.f.Times, false: 0}[tt.ok]; f.Pending() != want {
				t.Fatalf("Pending = %d, want %d", f.Pending(), want)
			}
		})
	}
}

func TestFaultsMatchAndUseUp(t *testing.T) {
	var f Faults
	must(t, f.Add(Fault{Op: OpGetObject, Bucket: "b", KeyPrefix: "in/", Times: 2, SlowDown: true}))
	steps := []struct {
		op          Op
		bucket, key string
		hit         bool
	}{
		{OpPutObject, "b", "in/x", false}, // wrong op
		{OpGetObject, "c", "in/x", false}, // wrong bucket
		{OpGetObject, "b", "out/x", false},
		{OpGetObject, "b", "in/x", true},
		{OpGetObject, "b", "in/y", true},
		{OpGetObject, "b", "in/z", false}, // used up
	}
	for i, s := range steps {
		if _, hit := f.take(s.op, s.bucket, s.key); hit != s.hit {
			t.Fatalf("step %d %+v: hit=%v", i, s, hit)
		}
	}
	if f.Injected() != 2 || f.Pending() != 0 {
		t.Fatalf("Injected=%d Pending=%d, want 2, 0", f.Injected(), f.Pending())
	}
	var nilFaults *Faults
	if _, hit := nilFaults.take(OpGetObject, "b", "k"); hit {
		t.Fatal("nil Faults injected a fault")
	}
}

func TestFaultsConcurrentUse(t *testing.T) {
	var f Faults
	must(t, f.Add(Fault{Op: OpGetObject, Times: 50, SlowDown: true}))
	var wg sync.WaitGroup
	var mu sync.Mutex
	hits := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if _, ok := f.take(OpGetObject, "b", "k"); ok {
					mu.Lock()
					hits++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if hits != 50 || f.Injected() != 50 {
		t.Fatalf("hits=%d Injected=%d, want exactly 50", hits, f.Injected())
	}
}

// TestSlowDownRetriedBySDK: two 503 SlowDown answers, then the SDK's
// standard retryer gets through, for both reads and writes.
func TestSlowDownRetriedBySDK(t *testing.T) {
	faults := &Faults{}
	h := newHarness(t, WithFaults(faults))
	ctx := ctxT(t)
	h.mkBucket(t, "photos")

	must(t, faults.Add(Fault{Op: OpPutObject, Bucket: "photos", KeyPrefix: "in/", Times: 2, SlowDown: true}))
	h.put(t, "photos", "in/a.jpg", "payload") // 3 attempts allowed
	if faults.Injected() != 2 {
		t.Fatalf("Injected = %d after the PUT, want 2", faults.Injected())
	}

	must(t, faults.Add(Fault{Op: OpGetObject, Bucket: "photos", KeyPrefix: "in/", Times: 2, SlowDown: true}))
	if got := h.get(t, "photos", "in/a.jpg"); got != "payload" {
		t.Fatalf("GetObject = %q", got)
	}
	if faults.Injected() != 4 || faults.Pending() != 0 {
		t.Fatalf("Injected=%d Pending=%d, want 4, 0", faults.Injected(), faults.Pending())
	}

	// Without retries the 503 reaches the caller as SlowDown.
	must(t, faults.Add(Fault{Op: OpGetObject, Bucket: "photos", Times: 1, SlowDown: true}))
	_, err := newClient(h.url, 1).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("in/a.jpg")})
	var re *awshttp.ResponseError
	if apiCode(err) != "SlowDown" || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusServiceUnavailable {
		t.Fatalf("GetObject without retries: %v, want 503 SlowDown", err)
	}
}

func TestFaultDelay(t *testing.T) {
	faults := &Faults{}
	h := newHarness(t, WithFaults(faults))
	h.mkBucket(t, "photos")
	h.put(t, "photos", "a.jpg", "payload")

	const delay = 300 * time.Millisecond
	must(t, faults.Add(Fault{Op: OpGetObject, Times: 1, Delay: delay}))
	start := time.Now()
	if got := h.get(t, "photos", "a.jpg"); got != "payload" {
		t.Fatalf("delayed GetObject = %q", got)
	}
	if elapsed := time.Since(start); elapsed < delay {
		t.Fatalf("GetObject took %v, less than the injected %v", elapsed, delay)
	}

	// A client that gives up during the delay gets its deadline error, and
	// the fault is used up.
	must(t, faults.Add(Fault{Op: OpGetObject, Times: 1, Delay: time.Minute}))
	ctx, cancel := context.WithTimeout(ctxT(t), 100*time.Millisecond)
	defer cancel()
	_, err := newClient(h.url, 1).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("a.jpg")})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GetObject during a 1m delay: %v, want deadline exceeded", err)
	}
	if got := h.get(t, "photos", "a.jpg"); got != "payload" {
		t.Fatalf("GetObject after the delay fault = %q", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSlowDownOnLargeUpload: a refused 8 MiB PUT still gets its 503.
func TestSlowDownOnLargeUpload(t *testing.T) {
	faults := &Faults{}
	h := newHarness(t, WithFaults(faults))
	h.mkBucket(t, "photos")
	must(t, faults.Add(Fault{Op: OpPutObject, Times: 1, SlowDown: true}))
	_, err := newClient(h.url, 1).PutObject(ctxT(t), &s3.PutObjectInput{
		Bucket: aws.String("photos"), Key: aws.String("big"), Body: bytes.NewReader(make([]byte, 8<<20)),
	})
	if apiCode(err) != "SlowDown" {
		t.Fatalf("large PutObject under a SlowDown fault: %v, want SlowDown", err)
	}
}
