package handler_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/localstack/embedded"
	"github.com/facevec/facevec/result"
)

var (
	bootstrapOnce sync.Once
	bootstrapPath string
	bootstrapErr  error
)

// buildBootstrap builds the real function binary the way `make package`
// does, once per test run.
func buildBootstrap(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the function binary; skipped with -short")
	}
	bootstrapOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			bootstrapErr = err
			return
		}
		dir, err := os.MkdirTemp("", "facevec-bootstrap-")
		if err != nil {
			bootstrapErr = err
			return
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		bootstrapPath = filepath.Join(dir, "bootstrap")
		// Exactly as `make package` builds it (so the build cache serves
		// both): static, because the embedded Lambda's sandbox, like
		// Lambda itself, has none of the build host's shared libraries.
		cmd := exec.Command(goBin, "build", "-trimpath", "-tags", "lambda.norpc netgo osusergo static",
			"-ldflags", "-s -w -linkmode external -extldflags -static", "-o", bootstrapPath, "./function")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOARCH=amd64")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			bootstrapErr = &buildError{err: err, out: string(out)}
		}
	})
	if bootstrapErr != nil {
		t.Fatalf("go build ./function: %v", bootstrapErr)
	}
	return bootstrapPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// TestMain removes the built binary.
func TestMain(m *testing.M) {
	code := m.Run()
	if bootstrapPath != "" {
		os.RemoveAll(filepath.Dir(bootstrapPath))
	}
	os.Exit(code)
}

// functionZip is the deployment package: bootstrap at the root and the
// models under models/, where the function finds them through
// $LAMBDA_TASK_ROOT/models. Stored, not deflated: the models barely
// compress and the test should not spend seconds on it.
func functionZip(t *testing.T, bootstrap, models string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, path string, mode os.FileMode) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		hdr := &zip.FileHeader{Name: name, Method: zip.Store}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, f); err != nil {
			t.Fatal(err)
		}
	}
	add("bootstrap", bootstrap, 0o755)
	for _, name := range []string{face.RecognizerFile, face.ShapeFile, face.CNNFile, face.HOGFile} {
		if p := filepath.Join(models, name); fileExists(p) {
			add("models/"+name, p, 0o644)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// TestBootstrapEndToEnd deploys the real bootstrap to the embedded stack,
// uploads a photo and waits for the notification → function → result
// chain; then invokes it synchronously with the same event to check the
// response document the runtime returns.
func TestBootstrapEndToEnd(t *testing.T) {
	img := testImage(t, "one")
	models := modelsDir(t)
	bin := buildBootstrap(t)
	ctx := ctxT(t)

	srv, err := embedded.Start(ctx, embedded.WithWorkDir(t.TempDir()),
		embedded.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatalf("embedded.Start: %v", err)
	}
	defer srv.Close()

	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	s3c := s3.New(s3.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()), UsePathStyle: true, Credentials: creds})
	lc := lambda.New(lambda.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()), Credentials: creds})
	for _, b := range []string{"faces-in", "faces-out", "facevec-code"} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("CreateBucket: %v", err)
		}
	}
	// Binary plus models exceed the 50 MB of an inline ZipFile, so the
	// package goes through S3, as `make deploy` does it.
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("facevec-code"), Key: aws.String("function.zip"),
		Body: bytes.NewReader(functionZip(t, bin, models))}); err != nil {
		t.Fatalf("upload function.zip: %v", err)
	}
	createFunction := func(name string, env map[string]string) (*lambda.CreateFunctionOutput, error) {
		return lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName:  aws.String(name),
			Runtime:       ltypes.RuntimeProvidedal2023,
			Handler:       aws.String("bootstrap"),
			Role:          aws.String("arn:aws:iam::000000000000:role/facevec"),
			Code:          &ltypes.FunctionCode{S3Bucket: aws.String("facevec-code"), S3Key: aws.String("function.zip")},
			Timeout:       aws.Int32(60),
			MemorySize:    aws.Int32(2048),
			Architectures: []ltypes.Architecture{ltypes.ArchitectureX8664},
			Environment:   &ltypes.Environment{Variables: env},
		})
	}
	fn, err := createFunction("facevec", map[string]string{"OUTPUT_BUCKET": "faces-out"})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String("faces-in"),
		NotificationConfiguration: &types.NotificationConfiguration{
			LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{{
				LambdaFunctionArn: fn.FunctionArn,
				Events:            []types.Event{"s3:ObjectCreated:*"},
			}},
		},
	}); err != nil {
		t.Fatalf("PutBucketNotificationConfiguration: %v", err)
	}

	const key = "people/grace hopper é.jpg"
	const rkey = "encodings/faces-in/" + key + ".json"
	start := time.Now()
	put, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("faces-in"), Key: aws.String(key), Body: bytes.NewReader(img)})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if err := srv.S3().WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Lambda().WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("upload to result (cold start included): %v", time.Since(start))
	logs := srv.Lambda().Logs("facevec")
	if dl := srv.Lambda().DeadLetters(); len(dl) != 0 {
		t.Fatalf("event dropped: %+v\nfunction logs:\n%s", dl, logs)
	}

	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("faces-out"), Key: aws.String(rkey)})
	if err != nil {
		t.Fatalf("result %s: %v\nfunction logs:\n%s", rkey, err, logs)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	var res result.Result
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, body)
	}
	if aws.ToString(out.ContentType) != handler.ContentType {
		t.Errorf("Content-Type %q", aws.ToString(out.ContentType))
	}
	wantSrc := result.Source{Bucket: "faces-in", Key: key, ETag: strings.Trim(aws.ToString(put.ETag), `"`), Size: int64(len(img))}
	if res.Source != wantSrc || res.Error != nil {
		t.Errorf("result source %+v error %+v, want %+v and no error", res.Source, res.Error, wantSrc)
	}
	direct, err := testEncoder(t).Encode(ctx, img, handler.DefaultConfig().Params())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Faces) != len(direct.Faces) || len(res.Faces) == 0 {
		t.Fatalf("function found %d faces, direct encoding %d", len(res.Faces), len(direct.Faces))
	}
	for i := range res.Faces {
		if d := result.Distance(res.Faces[i].Descriptor, direct.Faces[i].Descriptor); d != 0 || res.Faces[i].Box != direct.Faces[i].Box {
			t.Errorf("face %d: box %+v vs %+v, descriptor distance %g; want identical", i, res.Faces[i].Box, direct.Faces[i].Box, d)
		}
	}

	if res.Model.BLAS != face.DefaultBLAS || direct.Model.BLAS != face.DefaultBLAS {
		t.Errorf("model.blas: function %q, in process %q; want %s in both", res.Model.BLAS, direct.Model.BLAS, face.DefaultBLAS)
	}

	// Redelivery through the runtime: the response document, and no rewrite.
	ev := map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": srv.Region(),
		"eventTime": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "eventName": "ObjectCreated:Put",
		"s3": map[string]any{
			"bucket": map[string]any{"name": "faces-in"},
			"object": map[string]any{"key": "people/grace+hopper+%C3%A9.jpg", "size": len(img), "eTag": wantSrc.ETag},
		},
	}}}
	payload, _ := json.Marshal(ev)
	inv, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("facevec"), Payload: payload})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if inv.FunctionError != nil {
		t.Fatalf("function error %s: %s", aws.ToString(inv.FunctionError), inv.Payload)
	}
	var resp handler.Response
	if err := json.Unmarshal(inv.Payload, &resp); err != nil {
		t.Fatalf("response is not {results, failed}: %v\n%s", err, inv.Payload)
	}
	if len(resp.Results) != 1 || resp.Results[0].Key != key || resp.Results[0].Skipped != handler.SkipAlreadyEncoded ||
		resp.Results[0].Faces != len(res.Faces) || resp.Failed == nil {
		t.Errorf("response = %s, want one already_encoded result for %q", inv.Payload, key)
	}

	// A host (or a user) that sets OPENBLAS_CORETYPE changes no vector:
	// the same photo through a function whose environment names another
	// kernel set gives the same result, bit for bit.
	if _, err := createFunction("facevec-sandybridge", map[string]string{"OUTPUT_BUCKET": "faces-out",
		"OUTPUT_PREFIX": "sandybridge/", "OPENBLAS_CORETYPE": "Sandybridge"}); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	if inv, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("facevec-sandybridge"), Payload: payload}); err != nil || inv.FunctionError != nil {
		t.Fatalf("Invoke facevec-sandybridge: %v %s", err, inv.Payload)
	}
	var other result.Result
	if out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("faces-out"), Key: aws.String("sandybridge/faces-in/" + key + ".json")}); err != nil {
		t.Fatalf("facevec-sandybridge's result: %v", err)
	} else {
		err = json.NewDecoder(out.Body).Decode(&other)
		out.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(other.Faces) != len(res.Faces) || other.Model.BLAS != res.Model.BLAS {
		t.Fatalf("with OPENBLAS_CORETYPE=Sandybridge: %d faces, model.blas %q; want %d and %q",
			len(other.Faces), other.Model.BLAS, len(res.Faces), res.Model.BLAS)
	}
	for i := range res.Faces {
		if d := result.Distance(res.Faces[i].Descriptor, other.Faces[i].Descriptor); d != 0 {
			t.Errorf("face %d: descriptor distance %g with OPENBLAS_CORETYPE=Sandybridge; want identical", i, d)
		}
	}

	logs = srv.Lambda().Logs("facevec")
	t.Logf("function logs:\n%s", logs)
	inits := jsonLines(logs, "init done")
	if len(inits) == 0 {
		t.Fatalf("no \"init done\" line in the function logs:\n%s", logs)
	}
	for _, l := range inits {
		t.Logf("init_ms (process start to lambda.Start) = %v", l["init_ms"])
		if l["blas"] != face.DefaultBLAS {
			t.Errorf("init done line says blas %v, want %s", l["blas"], face.DefaultBLAS)
		}
	}
	written := jsonLines(logs, "result written")
	if len(written) != 1 || written[0]["request_id"] == "" || written[0]["key"] != key {
		t.Errorf("want one \"result written\" line with request_id and key, got %v", written)
	}
}

// TestBootstrapInitFailure: a bad configuration or missing models stop the
// process during init with a non-zero status and a log line naming the
// problem, which Lambda reports as an init error.
func TestBootstrapInitFailure(t *testing.T) {
	bin := buildBootstrap(t)
	models := modelsDir(t)
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"bad UPSAMPLE", []string{"UPSAMPLE=9", "FACEVEC_MODELS=" + models}, "UPSAMPLE"},
		{"bad DETECTOR and JITTER", []string{"DETECTOR=yolo", "JITTER=-1", "FACEVEC_MODELS=" + models}, "JITTER"},
		{"models dir missing", []string{"FACEVEC_MODELS=/nonexistent/models"}, "FACEVEC_MODELS"},
		{"models absent", []string{"FACEVEC_MODELS=" + t.TempDir()}, face.ShapeFile},
		{"unknown FACEVEC_BLAS", []string{"FACEVEC_BLAS=Pentium4000", "FACEVEC_MODELS=" + models}, "FACEVEC_BLAS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctxT(t), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			// A Runtime API address nobody serves: init must fail before
			// the runtime client is ever used.
			cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_REGION=us-east-1",
				"AWS_LAMBDA_RUNTIME_API=127.0.0.1:1"}, tt.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\n%s", err, stderr.String())
			}
			lines := jsonLines(stderr.String(), "init failed")
			if len(lines) != 1 || !strings.Contains(lines[0]["error"].(string), tt.want) {
				t.Errorf("want one \"init failed\" line naming %s, stderr:\n%s", tt.want, stderr.String())
			}
		})
	}
}

// jsonLines returns the JSON log lines with the given msg from mixed
// output (the embedded Lambda adds START/END/REPORT lines).
func jsonLines(out, msg string) []map[string]any {
	var found []map[string]any
	for _, l := range strings.Split(out, "\n") {
		i := strings.IndexByte(l, '{')
		if i < 0 {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(l[i:]), &m) == nil && m["msg"] == msg {
			found = append(found, m)
		}
	}
	return found
}
