//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/facevec/facevec/function/vectorindex"
	"github.com/facevec/facevec/internal/cli"
	"github.com/facevec/facevec/localstack"
	"github.com/facevec/facevec/localstack/emulated"
	"github.com/facevec/facevec/localstack/provision"
)

// vectorWait bounds each wait of TestVectorIndex.
const vectorWait = 3 * time.Minute

// The roles of face_recognition's obama.jpg, obama2.jpg, obama3.jpg and
// biden.jpg, played by public-domain fixtures: two photos of one person are
// indexed with one of someone else, and a third photo of the first person
// is the query.
const (
	vecPerson  = "people/grace hopper.jpg"
	vecPerson2 = "people/hopper-crop.jpg"
	vecOther   = "people/collins-crop.jpg"
	vecQuery   = "people/hopper-mirror.jpg"
)

// TestVectorIndex deploys a function with an S3 Vectors index next to the
// suite's, uploads three photos, searches with a fourth through `facevec
// search`, checks that a redelivered event adds nothing and that deleting a
// photo takes its face out of the index.
func TestVectorIndex(t *testing.T) {
	s := getSuite(t)
	if ok, why := s.stack.ServesS3Vectors(); !ok {
		t.Skip(why)
	}
	st := s.stack
	spec := provision.Spec{
		InputBucket:      "facevec-e2e-vin-" + s.cfg.suffix,
		OutputBucket:     "facevec-e2e-vout-" + s.cfg.suffix,
		FunctionName:     "facevec-e2e-vec-" + s.cfg.suffix,
		VectorBucket:     "facevec-e2e-vec-" + s.cfg.suffix,
		VectorIndex:      "faces",
		ZipPath:          s.cfg.zip,
		RoleARN:          s.cfg.roleARN,
		MaxRetryAttempts: aws.Int32(0),
	}
	destroy := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		return provision.Destroy(ctx, st.S3(), st.Lambda(), spec, provision.WithDeleteBuckets())
	}
	if err := teardown.add(destroy); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(rootCtx, 3*vectorWait)
	defer cancel()
	out, err := provision.Apply(ctx, st.S3(), st.Lambda(), spec, provision.WithVectors(st.S3Vectors()), provision.WithLogger(slog.New(s.log)))
	if err != nil {
		t.Fatal(err)
	}

	// The function's configuration names the index.
	conf, err := st.Lambda().GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(spec.FunctionName)})
	if err != nil {
		t.Fatal(err)
	}
	if v := conf.Environment.Variables; v["VECTOR_BUCKET"] != spec.VectorBucket || v["VECTOR_INDEX"] != spec.VectorIndex {
		t.Fatalf("function environment %v lacks VECTOR_BUCKET=%s VECTOR_INDEX=%s", v, spec.VectorBucket, spec.VectorIndex)
	}

	ix, err := vectorindex.New(st.S3Vectors(), spec.VectorBucket, spec.VectorIndex)
	if err != nil {
		t.Fatal(err)
	}
	uploads := map[string]string{"obama.jpg": vecPerson, "albums/obama2.jpg": vecPerson2, "biden.jpg": vecOther}
	etags := map[string]string{}
	for key, fixture := range uploads {
		etags[key], _, err = putFile(ctx, st.S3(), out.InputBucket, key, s.manifest[fixture].File(s.cfg.fixturesDir))
		if err != nil {
			t.Fatal(err)
		}
	}
	for key := range uploads {
		if err := waitIndexed(ctx, ix, out.InputBucket, key, etags[key], 1); err != nil {
			t.Fatalf("%s: %v\nfunction log:\n%s", key, err, st.FunctionLogs(spec.FunctionName))
		}
	}
	if n := countVectors(t, ctx, st.S3Vectors(), spec.VectorBucket, spec.VectorIndex); n != 3 {
		t.Fatalf("index holds %d vectors after three one-face photos, want 3", n)
	}

	matches := search(t, s, st, spec)
	if !slices.Equal(matches, []string{"albums/obama2.jpg", "obama.jpg"}) && !slices.Equal(matches, []string{"obama.jpg", "albums/obama2.jpg"}) {
		t.Errorf("search with %s found %v within 0.6, want obama.jpg and albums/obama2.jpg, not biden.jpg", vecQuery, matches)
	}

	// A redelivered event: the function skips it and the index is as it was.
	payload := createdEvent(out.InputBucket, "obama.jpg", etags["obama.jpg"])
	resp, err := st.Lambda().Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(spec.FunctionName), Payload: payload})
	if err != nil || resp.FunctionError != nil || !bytes.Contains(resp.Payload, []byte(`"skipped":"already_encoded"`)) {
		t.Fatalf("redelivery: %v %v %s", err, aws.ToString(resp.FunctionError), resp.Payload)
	}
	if n := countVectors(t, ctx, st.S3Vectors(), spec.VectorBucket, spec.VectorIndex); n != 3 {
		t.Errorf("index holds %d vectors after a redelivery, want 3", n)
	}

	// Deleting obama.jpg takes its face out of the index (ObjectRemoved).
	if _, err := st.S3().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(out.InputBucket), Key: aws.String("obama.jpg")}); err != nil {
		t.Fatal(err)
	}
	if err := waitIndexed(ctx, ix, out.InputBucket, "obama.jpg", etags["obama.jpg"], 0); err != nil {
		t.Fatalf("obama.jpg deleted: %v\nfunction log:\n%s", err, st.FunctionLogs(spec.FunctionName))
	}
	if n := countVectors(t, ctx, st.S3Vectors(), spec.VectorBucket, spec.VectorIndex); n != 2 {
		t.Errorf("index holds %d vectors after obama.jpg was deleted, want 2", n)
	}
	if matches := search(t, s, st, spec); !slices.Equal(matches, []string{"albums/obama2.jpg"}) {
		t.Errorf("search after deleting obama.jpg found %v, want albums/obama2.jpg only", matches)
	}
}

// waitIndexed waits until the index holds faces vectors of the photo
// written for etag (faces 0: none at all).
func waitIndexed(ctx context.Context, ix *vectorindex.Index, bucket, key, etag string, faces int) error {
	ctx, cancel := context.WithTimeout(ctx, vectorWait)
	defer cancel()
	for {
		ok, err := ix.InSync(ctx, bucket, key, etag, faces)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("index never held %d faces of s3://%s/%s (ETag %s): %w", faces, bucket, key, etag, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// countVectors lists the whole index.
func countVectors(t *testing.T, ctx context.Context, c *s3vectors.Client, bucket, index string) int {
	t.Helper()
	n := 0
	p := s3vectors.NewListVectorsPaginator(c, &s3vectors.ListVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(index)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Vectors)
	}
	return n
}

// search runs `facevec search --format jsonl` with the query photo as a
// user would against this stack, and returns the matched keys.
func search(t *testing.T, s *suite, st *localstack.Stack, spec provision.Spec) []string {
	t.Helper()
	if st.Backend() != localstack.BackendAWS {
		t.Setenv("AWS_ENDPOINT_URL", st.Endpoint())
		t.Setenv("AWS_ACCESS_KEY_ID", emulated.AccessKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", emulated.SecretAccessKey)
		t.Setenv("AWS_REGION", st.Region())
	}
	models := os.Getenv("FACEVEC_MODELS")
	if models == "" {
		models = filepath.Join(s.cfg.root, "models")
	}
	var stdout, stderr bytes.Buffer
	code := cli.Main(rootCtx, []string{"search", "--models", models, "--format", "jsonl",
		"--vector-bucket", spec.VectorBucket, "--vector-index", spec.VectorIndex,
		s.manifest[vecQuery].File(s.cfg.fixturesDir)}, cli.IO{Stdout: &stdout, Stderr: &stderr})
	if code != cli.ExitOK {
		t.Fatalf("facevec search: exit %d: %s", code, stderr.String())
	}
	t.Logf("facevec search %s:\n%s", vecQuery, stdout.String())
	var keys []string
	for line := range strings.Lines(stdout.String()) {
		var a struct {
			Matches []vectorindex.Match `json:"matches"`
		}
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("search output %q: %v", line, err)
		}
		for _, m := range a.Matches {
			if m.Bucket != spec.InputBucket || m.Distance > 0.6 {
				t.Errorf("match %+v: other bucket, or beyond 0.6", m)
			}
			keys = append(keys, m.Key)
		}
	}
	return keys
}

// createdEvent is an S3 event of one record, as S3 sends it.
func createdEvent(bucket, key, etag string) []byte {
	var ev struct {
		Records []map[string]any `json:"Records"`
	}
	ev.Records = []map[string]any{{
		"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
		"s3": map[string]any{
			"bucket": map[string]any{"name": bucket},
			"object": map[string]any{"key": eventKey(key), "eTag": etag},
		},
	}}
	b, _ := json.Marshal(ev)
	return b
}
