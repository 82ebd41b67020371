package lambdasvc

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// The conformance tests run the same bootstrap and events through AWS's
// runtime interface emulator (go tool aws-lambda-rie, in go.mod's tool
// block) and through this package, and compare what comes back.

var (
	rieOnce sync.Once
	riePath string
	rieErr  error
)

// rieBinary locates (building if needed) the emulator, or skips.
func rieBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("conformance against aws-lambda-rie skipped in -short mode")
	}
	rieOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, goTool(), "tool", "-n", "aws-lambda-rie").Output()
		riePath, rieErr = strings.TrimSpace(string(out)), err
	})
	if rieErr != nil || riePath == "" {
		t.Skipf("aws-lambda-rie is not available as a go tool (go get -tool github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie): %v", rieErr)
	}
	return riePath
}

// rie is one running emulator with one function: the echofn bootstrap.
type rie struct {
	url string
	out *bytes.Buffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startRIE(t *testing.T, timeoutSeconds string, env ...string) *rie {
	t.Helper()
	bin := rieBinary(t)
	apiAddr, rapidAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "--log-level", "error",
		"--runtime-interface-emulator-address", apiAddr, "--runtime-api-address", rapidAddr, echoBin)
	cmd.Dir = filepath.Dir(echoBin)
	// The emulator passes its own environment on to the function.
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "AWS_LAMBDA_FUNCTION_TIMEOUT=" + timeoutSeconds, "AWS_LAMBDA_FUNCTION_NAME=conf"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r := &rie{url: "http://" + apiAddr + "/2015-03-31/functions/function/invocations", out: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = r.out, r.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start aws-lambda-rie: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("aws-lambda-rie output:\n%s", r.out)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", apiAddr)
		if err == nil {
			c.Close()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie does not listen on %s: %v", apiAddr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rie) invoke(t *testing.T, payload string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(r.url, "application/json", strings.NewReader(payload))
	if err != nil {
		t.Fatalf("invoke aws-lambda-rie: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

var uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// sameJSON compares two documents, request ids masked.
func sameJSON(t *testing.T, what string, ours, theirs []byte) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(uuidPattern.ReplaceAll(ours, []byte("<id>")), &a); err != nil {
		t.Errorf("%s: ours is not JSON: %q", what, ours)
		return
	}
	if err := json.Unmarshal(uuidPattern.ReplaceAll(theirs, []byte("<id>")), &b); err != nil {
		t.Errorf("%s: the emulator's is not JSON: %q", what, theirs)
		return
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s differs:\nours: %s\nrie:  %s", what, ours, theirs)
	}
}

func TestConformanceWithRIE(t *testing.T) {
	emu := startRIE(t, "1")
	st := newStack(t, Options{})
	st.create(t, "conf", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
	ours := func(payload string) *lambda.InvokeOutput {
		t.Helper()
		out, err := st.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("conf"), Payload: []byte(payload)})
		if err != nil {
			t.Fatalf("our Invoke: %v", err)
		}
		return out
	}

	t.Run("response payload", func(t *testing.T) {
		event := `{"echo_only":true,"echo":{"n":1,"s":"x","l":[true,null]}}`
		out := ours(event)
		status, body := emu.invoke(t, event)
		if status != 200 || out.FunctionError != nil || !bytes.Equal(out.Payload, body) {
			t.Errorf("ours %q (error %v), rie %d %q", out.Payload, out.FunctionError, status, body)
		}
	})
	t.Run("function error", func(t *testing.T) {
		out := ours(`{"fail":"boom"}`)
		_, body := emu.invoke(t, `{"fail":"boom"}`)
		if aws.ToString(out.FunctionError) != "Unhandled" {
			t.Errorf("FunctionError = %v", out.FunctionError)
		}
		sameJSON(t, "error document", out.Payload, body)
	})
	t.Run("panic", func(t *testing.T) {
		out := ours(`{"panic":"kaboom"}`)
		_, body := emu.invoke(t, `{"panic":"kaboom"}`)
		sameJSON(t, "panic document (with stack trace)", out.Payload, body)
	})
	t.Run("crash", func(t *testing.T) {
		out := ours(`{"exit":3}`)
		_, body := emu.invoke(t, `{"exit":3}`)
		sameJSON(t, "exit error", out.Payload, body)
	})
	t.Run("runtime api wrong request id", func(t *testing.T) {
		var a, b struct {
			Bogus json.RawMessage `json:"bogus"`
		}
		_ = json.Unmarshal(ours(`{"bogus_post":true}`).Payload, &a)
		_, body := emu.invoke(t, `{"bogus_post":true}`)
		_ = json.Unmarshal(body, &b)
		sameJSON(t, "Runtime API answer to an unknown request id", a.Bogus, b.Bogus)
	})
	t.Run("environment", func(t *testing.T) {
		var a, b echoResponse
		_ = json.Unmarshal(ours(`{"env_names":true}`).Payload, &a)
		_, body := emu.invoke(t, `{"env_names":true}`)
		_ = json.Unmarshal(body, &b)
		// What the emulator forwards from its own environment, and the
		// metadata endpoint and session token we do not provide.
		skip := []string{"PATH", "AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_LAMBDA_METADATA_API", "AWS_LAMBDA_METADATA_TOKEN", "AWS_SESSION_TOKEN"}
		if len(b.EnvNames) == 0 {
			t.Fatalf("no environment from the emulator: %s", body)
		}
		for _, k := range b.EnvNames {
			if !slices.Contains(skip, k) && !slices.Contains(a.EnvNames, k) {
				t.Errorf("the emulator gives the function %s, we do not (ours: %v)", k, a.EnvNames)
			}
		}
	})
	t.Run("timeout", func(t *testing.T) {
		out := ours(`{"sleep_ms":2500}`)
		_, body := emu.invoke(t, `{"sleep_ms":2500}`)
		var doc errorDoc
		_ = json.Unmarshal(out.Payload, &doc)
		// The emulator answers with the bare message; Lambda wraps it in a
		// Sandbox.Timedout document, as we do.
		if doc.ErrorType != "Sandbox.Timedout" || string(body) == "" || !strings.HasSuffix(doc.ErrorMessage, string(body)) {
			t.Errorf("ours %s, rie %q", out.Payload, body)
		}
	})
}

func TestConformanceInitErrorWithRIE(t *testing.T) {
	emu := startRIE(t, "3", "ECHOFN_INIT_ERROR=bad config")
	st := newStack(t, Options{})
	st.create(t, "initconf", func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"ECHOFN_INIT_ERROR": "bad config"}}
	})
	out, err := st.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("initconf"), Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, body := emu.invoke(t, `{}`)
	if aws.ToString(out.FunctionError) != "Unhandled" {
		t.Errorf("FunctionError = %v", out.FunctionError)
	}
	sameJSON(t, "init error", out.Payload, body)
}
