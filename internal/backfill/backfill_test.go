package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	stypes "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// fakeS3 lists keys, two to a page (so that paging is exercised).
type fakeS3 struct{ keys []string }

func (f *fakeS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	start := 0
	if in.ContinuationToken != nil {
		start = len(*in.ContinuationToken)
	}
	out := &s3.ListObjectsV2Output{}
	for i := start; i < len(f.keys) && len(out.Contents) < 2; i++ {
		if strings.HasPrefix(f.keys[i], aws.ToString(in.Prefix)) {
			out.Contents = append(out.Contents, stypes.Object{Key: aws.String(f.keys[i]), ETag: aws.String(`"e-` + f.keys[i] + `"`), Size: aws.Int64(1)})
		}
		if i+1 < len(f.keys) && len(out.Contents) == 2 {
			out.IsTruncated, out.NextContinuationToken = aws.Bool(true), aws.String(strings.Repeat("x", i+1))
		}
	}
	return out, nil
}

// fakeLambda answers Batch Operations invocations like the function:
// answer decides each task's result code from its key.
type fakeLambda struct {
	mu      sync.Mutex
	answer  func(key string, attempt int) string
	invoked []string // keys, in the order sent
	fnErr   int      // invocations to fail with a function error first
	notFnd  bool
}

func (f *fakeLambda) GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	return &lambda.GetFunctionConfigurationOutput{
		FunctionArn: aws.String("arn:fn"), LastModified: aws.String("t1"), CodeSha256: aws.String("c"),
		Environment: &ltypes.EnvironmentResponse{Variables: map[string]string{"OUTPUT_BUCKET": "in", "OUTPUT_PREFIX": "enc/"}},
	}, nil
}

func (f *fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	if f.notFnd {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Function not found"}
	}
	var ev events.S3BatchJobEventV2
	if err := json.Unmarshal(in.Payload, &ev); err != nil || ev.InvocationSchemaVersion != "2.0" {
		return nil, errors.New("not a schema 2.0 invocation")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fnErr > 0 {
		f.fnErr--
		return &lambda.InvokeOutput{FunctionError: aws.String("Unhandled"), Payload: []byte(`{"errorMessage":"boom"}`)}, nil
	}
	resp := events.S3BatchJobResponse{InvocationSchemaVersion: "2.0", InvocationID: ev.InvocationID}
	for _, t := range ev.Tasks {
		key, _ := url.QueryUnescape(t.S3Key)
		n := 0
		for _, k := range f.invoked {
			if k == key {
				n++
			}
		}
		f.invoked = append(f.invoked, key)
		code := f.answer(key, n+1)
		s, _ := json.Marshal(map[string]any{"key": key, "skipped": map[bool]string{true: "already_encoded"}[strings.Contains(key, "done")]})
		resp.Results = append(resp.Results, events.S3BatchJobResult{TaskID: t.TaskID, ResultCode: code, ResultString: string(s)})
	}
	payload, _ := json.Marshal(resp)
	return &lambda.InvokeOutput{StatusCode: 200, Payload: payload}, nil
}

// TestRunBooksEveryOutcome: image keys only, never the function's own
// results; a temporary failure is tried again up to the bound; a
// permanent one is reported; a failed invocation retries its tasks.
func TestRunBooksEveryOutcome(t *testing.T) {
	s3c := &fakeS3{keys: []string{"a.jpg", "b c.JPG", "done.png", "notes.txt", "enc/in/a.jpg.json", "flaky.jpg", "broken.jpg", "down.jpg", "dir/"}}
	lc := &fakeLambda{fnErr: 1, answer: func(key string, attempt int) string {
		switch {
		case key == "broken.jpg":
			return codePermanentFailure
		case key == "down.jpg", key == "flaky.jpg" && attempt < 2:
			return codeTemporaryFailure
		}
		return codeSucceeded
	}}
	job := Job{Bucket: "in", Function: "f", Suffixes: []string{".jpg", ".JPG", ".png"}, Checkpoint: filepath.Join(t.TempDir(), "cp.jsonl")}
	rep, err := Run(context.Background(), s3c, lc, job, WithBatchSize(2), WithParallel(2), WithMaxAttempts(3), withNoRetryDelay())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Listed != 6 || rep.Encoded != 3 || rep.AlreadyEncoded != 1 || len(rep.Failed) != 2 {
		t.Errorf("report %+v; want 6 listed, 3 encoded (a, b c, flaky), 1 already, 2 failed", rep)
	}
	var failed []string
	for _, f := range rep.Failed {
		failed = append(failed, f.Key+":"+f.ResultCode)
	}
	slices.Sort(failed)
	if want := []string{"broken.jpg:PermanentFailure", "down.jpg:TemporaryFailure"}; !slices.Equal(failed, want) {
		t.Errorf("failed %q, want %q", failed, want)
	}
	count := func(key string) (n int) {
		for _, k := range lc.invoked {
			if k == key {
				n++
			}
		}
		return n
	}
	if count("down.jpg") != 3 || count("broken.jpg") != 1 || count("notes.txt") != 0 || count("enc/in/a.jpg.json") != 0 {
		t.Errorf("sent %q; want down.jpg 3 times, broken.jpg once, no text file, no result", lc.invoked)
	}

	// Resumed: only what did not succeed is sent again.
	lc.invoked = nil
	rep, err = Run(context.Background(), s3c, lc, job, withNoRetryDelay())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(lc.invoked)
	if rep.Resumed != 4 || !slices.Equal(lc.invoked, []string{"broken.jpg", "down.jpg", "down.jpg", "down.jpg"}) {
		t.Errorf("resumed %d, sent %q; want 4 resumed and only the failed sent again", rep.Resumed, lc.invoked)
	}
}

// TestCheckpointIgnoresOtherDeploymentsAndTornLines: a checkpoint made
// under another deployment of the function, or cut short mid-line, does
// not make a key count as done.
func TestCheckpointIgnoresOtherDeploymentsAndTornLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	lines := `{"function":"other","bucket":"in","key":"a.jpg","etag":"e-a.jpg"}` + "\n" +
		`{"function":"` + fingerprint(aws.String("arn:fn"), aws.String("t1"), aws.String("c"), map[string]string{"OUTPUT_BUCKET": "in", "OUTPUT_PREFIX": "enc/"}) +
		`","bucket":"in","key":"b.jpg","etag":"e-b.jpg"}` + "\n" + `{"function":"x","bu`
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	lc := &fakeLambda{answer: func(string, int) string { return codeSucceeded }}
	rep, err := Run(context.Background(), &fakeS3{keys: []string{"a.jpg", "b.jpg"}}, lc, Job{Bucket: "in", Function: "f", Checkpoint: path})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resumed != 1 || !slices.Equal(lc.invoked, []string{"a.jpg"}) {
		t.Errorf("resumed %d, sent %q; want b.jpg resumed and a.jpg sent", rep.Resumed, lc.invoked)
	}
}

// TestRunStopsOnAMissingFunction: no invocation can succeed, so the run
// ends at the first answer instead of retrying every task.
func TestRunStopsOnAMissingFunction(t *testing.T) {
	lc := &fakeLambda{notFnd: true}
	_, err := Run(context.Background(), &fakeS3{keys: []string{"a.jpg", "b.jpg", "c.jpg"}}, lc, Job{Bucket: "in", Function: "f"}, withNoRetryDelay())
	if !errors.Is(err, ErrFunction) || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("error %v; want ErrFunction naming ResourceNotFoundException", err)
	}
}

func withNoRetryDelay() Option { return func(r *runner) { r.retryDelay = 0 } }
