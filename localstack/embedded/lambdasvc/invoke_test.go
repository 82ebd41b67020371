package lambdasvc

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func TestInvokeRequestResponse(t *testing.T) {
	t.Setenv("LAMBDASVC_PARENT_ONLY", "must not leak")
	// Host pids, paths and TMPDIR are what this test watches; the
	// sandbox hides them (sandbox_test.go covers it).
	st := newStack(t, Options{NoSandbox: true, Endpoint: "http://127.0.0.1:4566"})
	st.create(t, "echo", func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"OUTPUT_BUCKET": "out"}}
		in.MemorySize = aws.Int32(256)
	})
	envWanted := []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT", "_HANDLER", "AWS_ENDPOINT_URL",
		"LOCALSTACK_HOSTNAME", "EDGE_PORT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "OUTPUT_BUCKET", "AWS_LAMBDA_RUNTIME_API"}
	clientCtx := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"caller":"test"}}`))
	r := st.invoke(t, "echo", map[string]any{"echo": map[string]any{"x": 1}, "env": envWanted, "env_names": true},
		func(in *lambda.InvokeInput) {
			in.LogType = types.LogTypeTail
			in.ClientContext = aws.String(clientCtx)
		})
	if r.out.FunctionError != nil {
		t.Fatalf("FunctionError = %q, payload %s", *r.out.FunctionError, r.out.Payload)
	}
	if aws.ToString(r.out.ExecutedVersion) != "$LATEST" {
		t.Errorf("ExecutedVersion = %q", aws.ToString(r.out.ExecutedVersion))
	}
	if string(r.resp.Echo) != `{"x":1}` {
		t.Errorf("echo = %s", r.resp.Echo)
	}
	if r.resp.RequestID == "" || r.resp.RequestID != r.requestID {
		t.Errorf("runtime request id %q, API request id %q: want equal and set", r.resp.RequestID, r.requestID)
	}
	if r.resp.ARN != "arn:aws:lambda:us-east-1:000000000000:function:echo" {
		t.Errorf("invoked ARN = %q", r.resp.ARN)
	}
	if r.resp.DeadlineMs <= 2000 || r.resp.DeadlineMs > 3000 {
		t.Errorf("deadline in %d ms, want just under the 3 s default timeout", r.resp.DeadlineMs)
	}
	if string(r.resp.Client) != `{"caller":"test"}` {
		t.Errorf("client context custom = %s", r.resp.Client)
	}
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "echo", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "LAMBDA_TASK_ROOT": r.resp.Cwd, "_HANDLER": "bootstrap",
		// LocalStack's three, built as its execution_environment.py builds
		// them: AWS_ENDPOINT_URL = http://LOCALSTACK_HOSTNAME:EDGE_PORT.
		"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "LOCALSTACK_HOSTNAME": "127.0.0.1", "EDGE_PORT": "4566",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "OUTPUT_BUCKET": "out",
	}
	for k, v := range want {
		if r.resp.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, r.resp.Env[k], v)
		}
	}
	if api := r.resp.Env["AWS_LAMBDA_RUNTIME_API"]; !strings.HasPrefix(api, "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want a loopback address", api)
	}
	if slices.Contains(r.resp.EnvNames, "LAMBDASVC_PARENT_ONLY") || len(r.resp.EnvNames) > 30 {
		t.Errorf("the parent's environment leaked into the function: %v", r.resp.EnvNames)
	}
	if r.resp.PPID != os.Getpid() {
		t.Errorf("function's parent is %d, want this process %d", r.resp.PPID, os.Getpid())
	}
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(r.out.LogResult))
	if err != nil || !strings.Contains(string(tail), "START RequestId: "+r.requestID) ||
		!strings.Contains(string(tail), "echofn invoked request_id="+r.requestID) || !strings.Contains(string(tail), "REPORT RequestId: "+r.requestID) {
		t.Errorf("LogResult = %q (%v), want START, the function's line and REPORT", tail, err)
	}

	// Warm: the same process serves the next invocation.
	again := st.invoke(t, "echo", map[string]any{"print": "second call"})
	if again.resp.PID != r.resp.PID {
		t.Errorf("second invocation ran in pid %d, want the warm %d", again.resp.PID, r.resp.PID)
	}
	logs := st.svc.Logs("echo")
	if strings.Count(logs, "second call\n") != 2 { // stdout and stderr
		t.Errorf("Logs lacks the function's stdout and stderr line:\n%s", logs)
	}
	if st.svc.Logs("arn:aws:lambda:us-east-1:000000000000:function:echo") != logs {
		t.Error("Logs by ARN differs from Logs by name")
	}

	// DryRun checks the request only.
	out, err := st.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != http.StatusNoContent {
		t.Errorf("DryRun: %v, status %d", err, out.StatusCode)
	}
	// Not JSON: rejected before the function sees it.
	_, err = st.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte("{not json")})
	var bad *types.InvalidRequestContentException
	if !errors.As(err, &bad) {
		t.Errorf("invalid JSON payload: %v, want InvalidRequestContentException", err)
	}
	_, err = st.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("Invoke unknown function: %v, want ResourceNotFoundException", err)
	}
}

func TestInvokeFunctionErrors(t *testing.T) {
	// Host pids, paths and TMPDIR are what this test watches; the
	// sandbox hides them (sandbox_test.go covers it).
	st := newStack(t, Options{NoSandbox: true})
	st.create(t, "errs", nil)

	r := st.invoke(t, "errs", map[string]any{"fail": "boom"})
	if aws.ToString(r.out.FunctionError) != "Unhandled" || r.errDoc.ErrorType != "errorString" || r.errDoc.ErrorMessage != "boom" {
		t.Errorf("returned error: FunctionError %q, payload %s", aws.ToString(r.out.FunctionError), r.out.Payload)
	}
	ok := st.invoke(t, "errs", map[string]any{})
	if ok.out.FunctionError != nil {
		t.Fatalf("after a handled error: %s", ok.out.Payload)
	}

	// aws-lambda-go reports a panic, then exits: the next call needs a new process.
	p := st.invoke(t, "errs", map[string]any{"panic": "kaboom"})
	if aws.ToString(p.out.FunctionError) != "Unhandled" || p.errDoc.ErrorMessage != "kaboom" || p.errDoc.ErrorType != "string" {
		t.Errorf("panic: FunctionError %q, payload %s", aws.ToString(p.out.FunctionError), p.out.Payload)
	}
	waitGone(t, ok.resp.PID)
	after := st.invoke(t, "errs", map[string]any{})
	if after.out.FunctionError != nil || after.resp.PID == ok.resp.PID {
		t.Errorf("after panic: error %v, pid %d (crashed one %d)", after.out.FunctionError, after.resp.PID, ok.resp.PID)
	}

	// A response over 6 MB is Lambda's Function.ResponseSizeTooLarge.
	big := st.invoke(t, "errs", map[string]any{"big": 7 << 20})
	if big.errDoc.ErrorType != "Function.ResponseSizeTooLarge" {
		t.Errorf("oversized response: %.200s", big.out.Payload)
	}
}

func TestInvokeTimeout(t *testing.T) {
	// Host pids, paths and TMPDIR are what this test watches; the
	// sandbox hides them (sandbox_test.go covers it).
	st := newStack(t, Options{NoSandbox: true})
	st.create(t, "slow", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
	warm := st.invoke(t, "slow", map[string]any{"env": []string{"TMPDIR", "HOME"}})
	tmp := warm.resp.Env["TMPDIR"]
	if fi, err := os.Stat(tmp); err != nil || !fi.IsDir() || warm.resp.Env["HOME"] != tmp {
		t.Fatalf("TMPDIR %q (HOME %q): %v, want a directory", tmp, warm.resp.Env["HOME"], err)
	}

	r := st.invoke(t, "slow", map[string]any{"sleep_ms": 3000})
	if aws.ToString(r.out.FunctionError) != "Unhandled" || r.errDoc.ErrorType != "Sandbox.Timedout" {
		t.Fatalf("timeout: FunctionError %q payload %s", aws.ToString(r.out.FunctionError), r.out.Payload)
	}
	if want := "RequestId: " + r.requestID + " Error: Task timed out after 1.00 seconds"; r.errDoc.ErrorMessage != want {
		t.Errorf("errorMessage = %q, want %q", r.errDoc.ErrorMessage, want)
	}
	if processRunning(warm.resp.PID) {
		t.Errorf("timed-out process %d still runs", warm.resp.PID)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the killed environment's TMPDIR %s remains: %v", tmp, err)
	}
	next := st.invoke(t, "slow", map[string]any{})
	if next.out.FunctionError != nil || next.resp.PID == warm.resp.PID {
		t.Errorf("after timeout: error %v, pid %d (killed %d)", next.out.FunctionError, next.resp.PID, warm.resp.PID)
	}
	if !strings.Contains(st.svc.Logs("slow"), "Task timed out after 1.00 seconds\nSandbox.Timedout\n") {
		t.Errorf("Logs lacks the timeout lines:\n%s", st.svc.Logs("slow"))
	}
}

func TestInvokeCrashAndInitFailures(t *testing.T) {
	// Host pids, paths and TMPDIR are what this test watches; the
	// sandbox hides them (sandbox_test.go covers it).
	st := newStack(t, Options{NoSandbox: true})
	st.create(t, "crash", nil)
	warm := st.invoke(t, "crash", map[string]any{})
	r := st.invoke(t, "crash", map[string]any{"exit": 3})
	want := "RequestId: " + r.requestID + " Error: Runtime exited with error: exit status 3"
	if r.errDoc.ErrorType != "Runtime.ExitError" || r.errDoc.ErrorMessage != want {
		t.Errorf("crash: %s, want Runtime.ExitError %q", r.out.Payload, want)
	}
	next := st.invoke(t, "crash", map[string]any{})
	if next.out.FunctionError != nil || next.resp.PID == warm.resp.PID {
		t.Errorf("after crash: error %v, pid %d (crashed %d)", next.out.FunctionError, next.resp.PID, warm.resp.PID)
	}

	// A bootstrap the kernel cannot execute (no #! line).
	st.create(t, "noexec", func(in *lambda.CreateFunctionInput) {
		in.Code = &types.FunctionCode{ZipFile: makeZip(zipEntry{name: "bootstrap", mode: 0o755, data: []byte("echo not a binary\n")})}
	})
	ne := st.invoke(t, "noexec", map[string]any{})
	if ne.errDoc.ErrorType != "Runtime.InvalidEntrypoint" || !strings.Contains(ne.errDoc.ErrorMessage, "exec format error") {
		t.Errorf("unexecutable bootstrap: %s, want Runtime.InvalidEntrypoint (exec format error)", ne.out.Payload)
	}

	for _, tc := range []struct {
		name, env, value, wantType, wantMsg string
	}{
		{"initexit", "ECHOFN_INIT_EXIT", "4", "Runtime.ExitError", "Error: Runtime exited with error: exit status 4"},
		{"initerror", "ECHOFN_INIT_ERROR", "bad config", "InitFailure", "bad config"},
	} {
		st.create(t, tc.name, func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{tc.env: tc.value}}
		})
		for i := range 2 { // every attempt starts afresh and fails the same way
			r := st.invoke(t, tc.name, map[string]any{})
			if aws.ToString(r.out.FunctionError) != "Unhandled" || r.errDoc.ErrorType != tc.wantType || !strings.Contains(r.errDoc.ErrorMessage, tc.wantMsg) {
				t.Errorf("%s attempt %d: %s, want %s containing %q", tc.name, i, r.out.Payload, tc.wantType, tc.wantMsg)
			}
		}
		if live, _, started := st.fn(t, tc.name).pool.stats(); live != 0 || started != 2 {
			t.Errorf("%s: %d live environments, %d started; want 0 and 2", tc.name, live, started)
		}
	}
}

func TestInvokeConcurrency(t *testing.T) {
	st := newStack(t, Options{MaxConcurrency: 2})
	st.create(t, "conc", nil)
	const n = 6
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		pids = map[int]int{}
		errs []string
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := st.client.Invoke(context.Background(), &lambda.InvokeInput{
				FunctionName: aws.String("conc"),
				Payload:      []byte(fmt.Sprintf(`{"sleep_ms":300,"echo":%d}`, i)),
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err.Error())
			case out.FunctionError != nil:
				errs = append(errs, string(out.Payload))
			default:
				var resp echoResponse
				if err := jsonUnmarshal(out.Payload, &resp); err != nil || string(resp.Echo) != fmt.Sprint(i) {
					errs = append(errs, fmt.Sprintf("call %d got %s", i, out.Payload))
				}
				pids[resp.PID]++
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d invocations failed: %v", len(errs), n, errs)
	}
	live, peak, started := st.fn(t, "conc").pool.stats()
	if len(pids) > 2 || peak > 2 || started > 2 || live > 2 {
		t.Errorf("pids %v, peak %d, started %d, live %d: want at most 2 processes", pids, peak, started, live)
	}
	for pid := range pids {
		if !processRunning(pid) {
			t.Errorf("warm environment %d is gone", pid)
		}
	}
}

func TestGoInvoke(t *testing.T) {
	st := newStack(t, Options{})
	st.create(t, "direct", nil)
	res, err := st.svc.Invoke(context.Background(), "direct", []byte(`{"echo_only":true,"echo":[1,2]}`))
	if err != nil || res.FunctionError != "" || string(res.Payload) != "[1,2]" {
		t.Errorf("Invoke = %+v, %v", res, err)
	}
	if _, err := st.svc.Invoke(context.Background(), "missing", nil); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("Invoke missing: %v, want ErrFunctionNotFound", err)
	}
	if _, err := st.svc.Invoke(context.Background(), "direct", []byte("nope")); !errors.Is(err, ErrInvalidPayload) {
		t.Errorf("Invoke with a bad payload: %v, want ErrInvalidPayload", err)
	}
}

func TestRuntimeAPIRejectsUnknownRequestID(t *testing.T) {
	st := newStack(t, Options{})
	st.create(t, "bogus", nil)
	r := st.invoke(t, "bogus", map[string]any{"bogus_post": true})
	if r.resp.Bogus == nil || r.resp.Bogus.Status != http.StatusBadRequest ||
		string(r.resp.Bogus.Body) != `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}` {
		t.Errorf("bogus post answered %+v", r.resp.Bogus)
	}
}
