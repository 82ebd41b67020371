package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"

	"github.com/facevec/facevec/function/vectorindex"
	"github.com/facevec/facevec/localstack/embedded"
	"github.com/facevec/facevec/result"
)

// startVectorStack serves S3 and S3 Vectors on loopback, points the AWS
// environment at it (as a user of `facevec stack` does) and creates the
// buckets and an empty index.
func startVectorStack(t *testing.T) (*s3.Client, *embedded.Server) {
	t.Helper()
	ctx := context.Background()
	srv, err := embedded.Start(ctx, embedded.WithAddr("127.0.0.1:0"), embedded.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": srv.Endpoint(), "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_REGION": srv.Region(), "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_PROFILE": "",
		"VECTOR_BUCKET": "faces-vec", "VECTOR_INDEX": "faces", "OUTPUT_BUCKET": "photos-out",
	} {
		t.Setenv(k, v)
	}
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	s3c := s3.New(s3.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()), UsePathStyle: true, Credentials: creds})
	for _, b := range []string{"photos-in", "photos-out"} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	vc := s3vectors.New(s3vectors.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()), Credentials: creds})
	if _, err := vc.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String("faces-vec")}); err != nil {
		t.Fatal(err)
	}
	if _, err := vc.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: aws.String("faces-vec"), IndexName: aws.String("faces"),
		DataType: vectorindex.DataType, Dimension: aws.Int32(vectorindex.Dimension), DistanceMetric: vectorindex.DistanceMetric}); err != nil {
		t.Fatal(err)
	}
	return s3c, srv
}

// storeResult uploads a photo to photos-in (unless gone) and its result,
// encoded by `facevec encode`, to photos-out where the function writes it.
func storeResult(t *testing.T, s3c *s3.Client, models, file, key string, gone bool) {
	t.Helper()
	ctx := context.Background()
	code, out, stderr := run(t, "encode", "--models", models, file)
	if code != ExitOK {
		t.Fatalf("encode %s: %d %s", file, code, stderr)
	}
	var r result.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	r.Source = result.Source{Bucket: "photos-in", Key: key, ETag: "0123456789abcdef0123456789abcdef"}
	if !gone {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		put, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos-in"), Key: aws.String(key), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		r.Source.ETag = strings.Trim(aws.ToString(put.ETag), `"`)
	}
	body, _ := json.Marshal(r)
	rk, _ := result.Key("encodings/", "photos-in", key)
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos-out"), Key: aws.String(rk), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

// `facevec index` backfills the index from the results; `facevec search`
// then finds the same person's photos within 0.6 and not the other one's.
func TestIndexThenSearch(t *testing.T) {
	models := modelsFlag(t)
	s3c, srv := startVectorStack(t)
	storeResult(t, s3c, models, fixture(t, "people/grace hopper.jpg"), "hopper.jpg", false)
	storeResult(t, s3c, models, fixture(t, "people/hopper-crop.jpg"), "albums/hopper 2.jpg", false)
	storeResult(t, s3c, models, fixture(t, "people/collins-crop.jpg"), "collins.jpg", false)
	storeResult(t, s3c, models, fixture(t, "people/hopper-half.jpg"), "deleted.jpg", true)

	code, out, stderr := run(t, "index")
	if code != ExitOK || !strings.Contains(out, "indexed 3 photos (3 faces)") || !strings.Contains(out, "1 skipped") {
		t.Fatalf("index: exit %d\n%s%s", code, out, stderr)
	}
	if got := srv.S3Vectors().Stats().Vectors; got != 3 {
		t.Fatalf("index holds %d vectors, want 3 (the deleted photo's result skipped)", got)
	}
	// Backfilling again adds nothing.
	if code, out, _ := run(t, "index"); code != ExitOK || srv.S3Vectors().Stats().Vectors != 3 {
		t.Fatalf("second index: exit %d, %d vectors\n%s", code, srv.S3Vectors().Stats().Vectors, out)
	}

	query := fixture(t, "people/hopper-mirror.jpg")
	code, out, stderr = run(t, "search", "--models", models, "--format", "jsonl", query)
	if code != ExitOK {
		t.Fatalf("search: exit %d: %s", code, stderr)
	}
	var answers []faceMatches
	for l := range strings.Lines(out) {
		var a faceMatches
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("jsonl line %q: %v", l, err)
		}
		answers = append(answers, a)
	}
	if len(answers) != 1 {
		t.Fatalf("%d answers for a one-face photo:\n%s", len(answers), out)
	}
	var keys []string
	for i, m := range answers[0].Matches {
		keys = append(keys, m.Key)
		if m.Distance > result.DefaultTolerance || (i > 0 && m.Distance < answers[0].Matches[i-1].Distance) {
			t.Errorf("match %d at %v: beyond 0.6 or not nearest first", i, m.Distance)
		}
		if m.Bucket != "photos-in" || m.Box.Width() <= 0 {
			t.Errorf("match %+v lacks its bucket or box", m)
		}
	}
	if len(keys) != 2 || !strings.Contains(strings.Join(keys, ","), "hopper.jpg") || !strings.Contains(strings.Join(keys, ","), "albums/hopper 2.jpg") {
		t.Errorf("matches %v, want hopper.jpg and albums/hopper 2.jpg, not collins.jpg", keys)
	}

	code, out, _ = run(t, "search", "--models", models, "--format", "csv", "--tolerance", "2", "--top", "3", query)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != ExitOK || len(lines) != 4 || lines[0] != "query_face,query_box,bucket,key,face,box,distance" || !strings.Contains(lines[3], "collins.jpg") {
		t.Errorf("csv with tolerance 2: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "search", "--models", models, query)
	if code != ExitOK || !strings.Contains(out, "face 0 ") || !strings.Contains(out, "s3://photos-in/hopper.jpg  face 0 (") {
		t.Errorf("text: exit %d\n%s", code, out)
	}
}

func TestSearchUsageErrors(t *testing.T) {
	t.Setenv("VECTOR_BUCKET", "")
	t.Setenv("VECTOR_INDEX", "")
	for _, args := range [][]string{
		{"search", "a.jpg"},
		{"search", "--vector-bucket", "v-b", "--vector-index", "ix1", "--top", "101", "a.jpg"},
		{"search", "--vector-bucket", "v-b", "--vector-index", "ix1", "--format", "xml", "a.jpg"},
		{"search", "--vector-bucket", "v-b", "--vector-index", "ix1"},
		{"index", "--vector-bucket", "v-b", "--vector-index", "ix1"},
	} {
		if code, _, stderr := run(t, args...); code != ExitUsage || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 with a message", args, code, stderr)
		}
	}
}
