package lambdasvc

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// echoBin is the echofn bootstrap built by TestMain, echoZip its package.
var (
	echoBin string
	echoZip []byte
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdasvc-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdasvc tests:", err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		echoBin = filepath.Join(dir, "bootstrap")
		if err := buildEchofn(echoBin); err != nil {
			fmt.Fprintln(os.Stderr, "lambdasvc tests: build testdata/echofn:", err)
			return 1
		}
		bin, err := os.ReadFile(echoBin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "lambdasvc tests:", err)
			return 1
		}
		echoZip = makeZip(zipEntry{name: "bootstrap", mode: 0o755, data: bin})
		return m.Run()
	}()
	os.Exit(code)
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// buildEchofn builds the test function like the real one is built: static,
// with the lambda.norpc tag, for provided.al2023.
func buildEchofn(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./testdata/echofn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s", err, b)
	}
	return nil
}

type zipEntry struct {
	name string
	mode os.FileMode
	data []byte
}

func makeZip(entries ...zipEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write(e.data); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// stack is a Service behind a real loopback HTTP server with an SDK client.
type stack struct {
	svc    *Service
	srv    *httptest.Server
	client *lambda.Client
}

func newStack(t *testing.T, opts Options) *stack {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if testing.Verbose() {
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
		}
	}
	if opts.WorkDir == "" {
		opts.WorkDir = t.TempDir()
	}
	svc, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	client := lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
	return &stack{svc: svc, srv: srv, client: client}
}

// create makes a function from echoZip.
func (s *stack) create(t *testing.T, name string, mod func(*lambda.CreateFunctionInput)) *lambda.CreateFunctionOutput {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String("arn:aws:iam::000000000000:role/test"),
		Code:         &types.FunctionCode{ZipFile: echoZip},
	}
	if mod != nil {
		mod(in)
	}
	out, err := s.client.CreateFunction(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

// invoked is a decoded synchronous invocation.
type invoked struct {
	out       *lambda.InvokeOutput
	requestID string
	resp      echoResponse // when the function succeeded
	errDoc    errorDoc     // when it failed
}

// echoResponse mirrors testdata/echofn's response.
type echoResponse struct {
	Echo       json.RawMessage   `json:"echo"`
	PID        int               `json:"pid"`
	PPID       int               `json:"ppid"`
	Cwd        string            `json:"cwd"`
	RequestID  string            `json:"request_id"`
	ARN        string            `json:"arn"`
	DeadlineMs int64             `json:"deadline_in_ms"`
	Env        map[string]string `json:"env"`
	EnvNames   []string          `json:"env_names"`
	ChildPID   int               `json:"child_pid"`
	Bogus      *struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	} `json:"bogus"`
	Big      string          `json:"big"`
	Client   json.RawMessage `json:"client_context"`
	UID      int             `json:"uid"`
	GID      int             `json:"gid"`
	Read     string          `json:"read"`
	Existing []string        `json:"existing"`
	FSBytes  int64           `json:"fs_bytes"`
}

func (s *stack) invoke(t *testing.T, name string, event any, mod ...func(*lambda.InvokeInput)) invoked {
	t.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload}
	for _, m := range mod {
		m(in)
	}
	out, err := s.client.Invoke(context.Background(), in)
	if err != nil {
		t.Fatalf("Invoke %s %s: %v", name, payload, err)
	}
	if out.StatusCode != http.StatusOK {
		t.Fatalf("Invoke status = %d, want 200", out.StatusCode)
	}
	res := invoked{out: out}
	if raw, ok := middlewareRequestID(out); ok {
		res.requestID = raw
	}
	if out.FunctionError != nil {
		if err := json.Unmarshal(out.Payload, &res.errDoc); err != nil {
			t.Fatalf("function error payload %q is not an error document: %v", out.Payload, err)
		}
		return res
	}
	if err := json.Unmarshal(out.Payload, &res.resp); err != nil {
		t.Fatalf("payload %q: %v", out.Payload, err)
	}
	return res
}

// httpStatus digs the HTTP status out of an SDK error.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// processRunning reports whether pid is a live process (zombies count as
// gone: they have exited and only wait to be reaped by their parent).
func processRunning(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// Format: pid (comm) state ...; comm may contain spaces or parens.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}

// waitGone polls until pid is no longer running.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for processRunning(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func middlewareRequestID(out *lambda.InvokeOutput) (string, bool) {
	return awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
}

func readFileErr(path string) ([]byte, error) { return os.ReadFile(path) }

// fn returns the service's record of a function.
func (s *stack) fn(t *testing.T, name string) *function {
	t.Helper()
	f, aerr := s.svc.lookup(name, "")
	if aerr != nil {
		t.Fatalf("lookup %s: %v", name, aerr)
	}
	return f
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func awsRequestID(out *lambda.InvokeOutput) (string, bool) { return middlewareRequestID(out) }
