//go:build e2e

package reliability

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/facevec/facevec/localstack/embedded/s3svc"
	"github.com/facevec/facevec/localstack/provision"
)

// sdkAttempts is the function's S3 client's attempts per call
// (handler.MaxAttempts; not imported, to keep dlib out of this binary).
// A fault that hits more requests than this gets past the SDK's retries
// to the handler, which fails the invocation so that Lambda retries it.
const sdkAttempts = 5

// TestS3Faults injects 503 SlowDown answers and slow responses into the
// function's S3 reads and writes. Each time the result must still be
// written, exactly once: by the SDK's own retries when the fault is short,
// by Lambda's retry of the whole invocation when it outlasts them.
func TestS3Faults(t *testing.T) {
	st := newStack(t, stackConfig{spec: provision.Spec{MaxRetryAttempts: aws.Int32(2)}})
	img := fixture(t, "people/hopper-crop.jpg")

	tests := []struct {
		name string
		key  string
		// faults are added with Bucket and KeyPrefix filled in: GetObject
		// faults hit the input object, PutObject faults the result.
		faults []s3svc.Fault
		// lambdaRetry is whether the invocation has to fail and be retried
		// by Lambda (the SDK's attempts are used up).
		lambdaRetry bool
	}{
		{name: "GetObject 503 twice: SDK retries", key: "faults/get-503.jpg",
			faults: []s3svc.Fault{{Op: s3svc.OpGetObject, Times: 2, SlowDown: true}}},
		{name: "PutObject 503 twice: SDK retries", key: "faults/put-503.jpg",
			faults: []s3svc.Fault{{Op: s3svc.OpPutObject, Times: 2, SlowDown: true}}},
		{name: "slow GetObject (3 s)", key: "faults/get-slow.jpg",
			faults: []s3svc.Fault{{Op: s3svc.OpGetObject, Times: 1, Delay: 3 * time.Second}}},
		{name: "slow, then failing PutObject", key: "faults/put-slow-503.jpg",
			faults: []s3svc.Fault{{Op: s3svc.OpPutObject, Times: 1, Delay: 2 * time.Second, SlowDown: true}}},
		{name: "GetObject 503 beyond the SDK's attempts: Lambda retries", key: "faults/get-503-exhausted.jpg",
			faults:      []s3svc.Fault{{Op: s3svc.OpGetObject, Times: sdkAttempts, SlowDown: true}},
			lambdaRetry: true},
		{name: "PutObject 503 beyond the SDK's attempts: Lambda retries", key: "faults/put-503-exhausted.jpg",
			faults:      []s3svc.Fault{{Op: s3svc.OpPutObject, Times: sdkAttempts, SlowDown: true}},
			lambdaRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			injected, want := st.faults.Injected(), 0
			for _, f := range tt.faults {
				if f.Op == s3svc.OpGetObject {
					f.Bucket, f.KeyPrefix = inBucket, tt.key
				} else {
					f.Bucket, f.KeyPrefix = outBucket, resultKey(tt.key)
				}
				if err := st.faults.Add(f); err != nil {
					t.Fatal(err)
				}
				want += f.Times
			}
			start := time.Now()
			etag, err := st.put(ctxFor(t, time.Minute), tt.key, img)
			if err != nil {
				t.Fatal(err)
			}
			st.settle(t)
			t.Logf("result after %v", time.Since(start).Round(time.Millisecond))

			if got := st.faults.Injected() - injected; got != want || st.faults.Pending() != 0 {
				t.Errorf("%d faults injected (%d still pending), want all %d used up by retries", got, st.faults.Pending(), want)
			}
			r := st.result(t, tt.key)
			if r.Error != nil || len(r.Faces) != 1 || r.Source.ETag != etag {
				t.Errorf("result: error %+v, %d faces, etag %s; want one face for etag %s", r.Error, len(r.Faces), r.Source.ETag, etag)
			}
			lines := parseLines(st.functionLogs())
			if n := writes(lines)[tt.key]; n != 1 {
				t.Errorf("result written %d times, want exactly once", n)
			}
			retries := countByKey(lines, msgRetry)[tt.key]
			if tt.lambdaRetry && retries == 0 {
				t.Errorf("no %q line: the invocation was not failed for Lambda to retry", msgRetry)
			}
			if !tt.lambdaRetry && retries != 0 {
				t.Errorf("%d %q lines: the SDK should have absorbed the fault", retries, msgRetry)
			}
			t.Logf("%d faults injected; %d Lambda-level retries", want, retries)
			st.noDeadLetters(t)
		})
	}
	logs := st.functionLogs()
	assertNoCrash(t, logs)
	assertJSONLogs(t, logs)
	assertLogHygiene(t, "function logs", logs, []string{st.secret}, nil)
	assertLogHygiene(t, "stack log", st.log.String(), []string{st.secret}, nil)
	if n := strings.Count(st.log.String(), "lambda async invocation failed, retrying"); n < 2 {
		t.Errorf("stack log shows %d Lambda retries, want at least one per exhausted fault (2)", n)
	}
}
