package provision_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/facevec/facevec/localstack"
	"github.com/facevec/facevec/localstack/provision"
)

// marker mirrors testdata/marker's output.
type marker struct {
	Build  string `json:"build"`
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Extra  string `json:"extra"`
}

const invokeWait = 90 * time.Second // liveness bound, not a timing goal

// waitMarker waits for the marker of key and decodes it.
func waitMarker(t *testing.T, st *localstack.Stack, bucket, key string) marker {
	t.Helper()
	var m marker
	eventually(t, st, invokeWait, "marker s3://"+bucket+"/"+key, func() (bool, string) {
		out, err := st.S3().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return false, err.Error()
		}
		defer out.Body.Close()
		data, err := io.ReadAll(out.Body)
		if err != nil {
			return false, err.Error()
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("marker %s: %v: %s", key, err, data)
		}
		return true, ""
	})
	return m
}

func put(t *testing.T, st *localstack.Stack, bucket, key string) {
	t.Helper()
	if _, err := st.S3().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("not really an image"),
	}); err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

func exists(t *testing.T, st *localstack.Stack, bucket, key string) bool {
	t.Helper()
	_, err := st.S3().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		return true
	}
	var nf *s3types.NotFound
	var nk *s3types.NoSuchKey
	if !errors.As(err, &nf) && !errors.As(err, &nk) {
		t.Fatalf("head s3://%s/%s: %v", bucket, key, err)
	}
	return false
}

func notificationIDs(t *testing.T, st *localstack.Stack, bucket string) []string {
	t.Helper()
	got, err := st.S3().GetBucketNotificationConfiguration(context.Background(), &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("get notification configuration: %v", err)
	}
	var ids []string
	for _, c := range got.LambdaFunctionConfigurations {
		ids = append(ids, aws.ToString(c.Id))
	}
	return ids
}

func TestApplyInvokeUpdateDestroy(t *testing.T) {
	ctx := context.Background()
	st := startStack(t)
	s3c, lc := st.S3(), st.Lambda()
	_, arch := lambdaArch()
	zero := int32(0)
	spec := provision.Spec{
		InputBucket:         "faces-in",
		OutputBucket:        "faces-out",
		FunctionName:        "marker",
		ZipPath:             markerZip(t, "v1"),
		Env:                 map[string]string{"MARKER_EXTRA": "one"},
		MemoryMB:            256,
		TimeoutS:            30,
		Architecture:        arch,
		MaxRetryAttempts:    &zero,
		ReservedConcurrency: aws.Int32(1),
	}
	opts := []provision.Option{provision.WithLogger(testLogger(t))}

	// First Apply creates everything.
	out1, err := provision.Apply(ctx, s3c, lc, spec, opts...)
	if err != nil {
		t.Fatalf("first Apply: %v", err)
	}
	if !out1.Changed || out1.FunctionARN == "" || out1.Version != "$LATEST" || out1.CodeSHA256 == "" {
		t.Fatalf("first Apply outputs: %+v", out1)
	}
	for _, want := range []string{"created bucket faces-in", "created bucket faces-out", "created function marker", "allowed s3.amazonaws.com", "notification configurations", "set reserved concurrency of marker to 1"} {
		if !strings.Contains(strings.Join(out1.Changes, "\n"), want) {
			t.Errorf("first Apply changes %q lack %q", out1.Changes, want)
		}
	}
	if ids := notificationIDs(t, st, "faces-in"); len(ids) != len(provision.DefaultSuffixes) {
		t.Errorf("input bucket has %d notification configurations, want one per suffix (%d): %v", len(ids), len(provision.DefaultSuffixes), ids)
	}
	// The staged package is gone once Lambda has it.
	listed, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("faces-in"), Prefix: aws.String(".deploy/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.Contents) != 0 {
		t.Errorf("staged package left in the input bucket: %s", aws.ToString(listed.Contents[0].Key))
	}

	// Second Apply with the same spec changes nothing.
	out2, err := provision.Apply(ctx, s3c, lc, spec, opts...)
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if out2.Changed || len(out2.Changes) != 0 {
		t.Errorf("second Apply changed things: %q", out2.Changes)
	}
	if out2.RevisionID != out1.RevisionID || out2.CodeSHA256 != out1.CodeSHA256 || out2.FunctionARN != out1.FunctionARN {
		t.Errorf("second Apply moved the function: %+v vs %+v", out2, out1)
	}
	if strings.Join(out2.NotificationIDs, ",") != strings.Join(out1.NotificationIDs, ",") {
		t.Errorf("notification ids differ: %v vs %v", out2.NotificationIDs, out1.NotificationIDs)
	}
	// Where the backend lists versions (LocalStack, AWS), only $LATEST may
	// exist; the embedded Lambda does not implement the call, and there
	// the unchanged RevisionId above is the proof.
	versions, err := lc.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("marker")})
	var unsupported interface{ ErrorCode() string }
	switch {
	case errors.As(err, &unsupported) && unsupported.ErrorCode() == "UnsupportedOperationException":
		t.Logf("ListVersionsByFunction not supported here: %v", err)
	case err != nil:
		t.Fatalf("list versions: %v", err)
	case len(versions.Versions) != 1 || aws.ToString(versions.Versions[0].Version) != "$LATEST":
		t.Errorf("function has versions beyond $LATEST: %d", len(versions.Versions))
	}

	// Notification → invocation → S3 write, for lower- and upper-case
	// suffixes and a key that needs URL-encoding in the event.
	put(t, st, "faces-in", "people/a b+c.jpg")
	put(t, st, "faces-in", "IMG_0001.JPG")
	m := waitMarker(t, st, "faces-out", "encodings/people/a b+c.jpg.json")
	if m.Build != "v1" || m.Key != "people/a b+c.jpg" || m.Bucket != "faces-in" || m.Extra != "one" {
		t.Errorf("marker = %+v", m)
	}
	waitMarker(t, st, "faces-out", "encodings/IMG_0001.JPG.json")

	// A non-image key triggers nothing. Uploaded before an image whose
	// marker we wait for, so a wrong trigger would have had its chance.
	put(t, st, "faces-in", "notes.txt")
	put(t, st, "faces-in", "later.png")
	waitMarker(t, st, "faces-out", "encodings/later.png.json")
	if exists(t, st, "faces-out", "encodings/notes.txt.json") {
		t.Error("notes.txt triggered the function")
	}

	// New code and new configuration are both picked up in place.
	spec.ZipPath = markerZip(t, "v2")
	spec.Env = map[string]string{"MARKER_EXTRA": "two"}
	out3, err := provision.Apply(ctx, s3c, lc, spec, opts...)
	if err != nil {
		t.Fatalf("update Apply: %v", err)
	}
	changes := strings.Join(out3.Changes, "\n")
	if !out3.Changed || !strings.Contains(changes, "updated code of marker") || !strings.Contains(changes, "updated configuration of marker: environment") {
		t.Errorf("update Apply changes: %q", out3.Changes)
	}
	if strings.Contains(changes, "notification") || strings.Contains(changes, "bucket") || strings.Contains(changes, "allowed") {
		t.Errorf("update Apply touched more than the function: %q", out3.Changes)
	}
	if out3.CodeSHA256 == out1.CodeSHA256 || out3.RevisionID == out1.RevisionID {
		t.Errorf("update Apply did not change the function: %+v", out3)
	}
	put(t, st, "faces-in", "b.webp")
	if m := waitMarker(t, st, "faces-out", "encodings/b.webp.json"); m.Build != "v2" || m.Extra != "two" {
		t.Errorf("after update, marker = %+v, want build v2 extra two", m)
	}
	if out4, err := provision.Apply(ctx, s3c, lc, spec, opts...); err != nil || out4.Changed {
		t.Errorf("Apply after update: changed=%v %q, err %v", out4 != nil && out4.Changed, out4.Changes, err)
	}

	// Destroy removes function, notifications and (asked to) buckets, and
	// can run again on what is left.
	if err := provision.Destroy(ctx, s3c, lc, spec, append(opts, provision.WithDeleteBuckets())...); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	_, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("marker")})
	var rnf *lambdatypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("function still there after Destroy: %v", err)
	}
	for _, b := range []string{"faces-in", "faces-out"} {
		if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}); err == nil {
			t.Errorf("bucket %s still there after Destroy", b)
		}
	}
	if err := provision.Destroy(ctx, s3c, lc, spec, append(opts, provision.WithDeleteBuckets())...); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}

// TestApplySameBucket: results go into the bucket that triggers the
// function. Result keys end in .json, which no image suffix matches, and an
// image uploaded under OUTPUT_PREFIX does invoke the function but is skipped
// by it (the S3 filter cannot exclude a prefix).
func TestApplySameBucket(t *testing.T) {
	ctx := context.Background()
	st := startStack(t)
	_, arch := lambdaArch()
	spec := provision.Spec{
		InputBucket: "faces", FunctionName: "marker", ZipPath: markerZip(t, "v1"),
		MemoryMB: 256, TimeoutS: 30, Architecture: arch, Suffixes: []string{".jpg"},
	}
	opts := []provision.Option{provision.WithLogger(testLogger(t))}
	out, err := provision.Apply(ctx, st.S3(), st.Lambda(), spec, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if out.OutputBucket != "faces" || out.OutputPrefix != "encodings/" || len(out.NotificationIDs) != 1 {
		t.Errorf("outputs: %+v", out)
	}
	put(t, st, "faces", "x.jpg")
	waitMarker(t, st, "faces", "encodings/x.jpg.json")
	put(t, st, "faces", "encodings/y.jpg")
	eventually(t, st, invokeWait, "the function to skip encodings/y.jpg", func() (bool, string) {
		return strings.Contains(st.FunctionLogs("marker"), "skip encodings/y.jpg"), "not in the logs"
	})
	if exists(t, st, "faces", "encodings/encodings/y.jpg.json") || exists(t, st, "faces", "encodings/x.jpg.json.json") {
		t.Error("the function processed its own output prefix")
	}
	if err := provision.Destroy(ctx, st.S3(), st.Lambda(), spec, opts...); err != nil {
		t.Fatal(err)
	}
	// Without WithDeleteBuckets the bucket and its objects stay.
	if !exists(t, st, "faces", "x.jpg") {
		t.Error("Destroy without WithDeleteBuckets removed objects")
	}
	if ids := notificationIDs(t, st, "faces"); len(ids) != 0 {
		t.Errorf("notification configurations left after Destroy: %v", ids)
	}
}

// TestApplyBadInputCreatesNothing: a spec or package error is reported
// before any resource exists.
func TestApplyBadInputCreatesNothing(t *testing.T) {
	ctx := context.Background()
	st := startStack(t)
	tests := []struct {
		name string
		spec provision.Spec
		want string
	}{
		{"missing zip", provision.Spec{InputBucket: "bad-in", FunctionName: "f", ZipPath: "/nonexistent/function.zip"}, "/nonexistent/function.zip"},
		{"bad bucket", provision.Spec{InputBucket: "Bad_In", FunctionName: "f", ZipPath: markerZip(t, "v1")}, "not a valid S3 bucket name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := provision.Apply(ctx, st.S3(), st.Lambda(), tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			buckets, err := st.S3().ListBuckets(ctx, &s3.ListBucketsInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(buckets.Buckets) != 0 {
				t.Errorf("bucket %s created despite the error", aws.ToString(buckets.Buckets[0].Name))
			}
		})
	}
	if _, err := provision.Apply(ctx, nil, nil, provision.Spec{}); err == nil {
		t.Error("Apply with nil clients succeeded")
	}
}
