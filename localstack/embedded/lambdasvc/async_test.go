package lambdasvc

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func waitIdle(t *testing.T, s *Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
}

func TestAsyncRetriesThenDeadLetter(t *testing.T) {
	st := newStack(t, Options{RetryDelay: 20 * time.Millisecond})
	ctx := context.Background()
	st.create(t, "flaky", nil)
	if _, err := st.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("flaky"), MaximumRetryAttempts: aws.Int32(1),
	}); err != nil {
		t.Fatalf("PutFunctionEventInvokeConfig: %v", err)
	}
	out, err := st.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String("flaky"),
		InvocationType: types.InvocationTypeEvent,
		Payload:        []byte(`{"fail":"always broken"}`),
	})
	if err != nil || out.StatusCode != http.StatusAccepted || len(out.Payload) != 0 {
		t.Fatalf("Event invoke: %v, status %d, payload %q; want 202 and no payload", err, out.StatusCode, out.Payload)
	}
	reqID, _ := awsRequestID(out)
	waitIdle(t, st.svc)

	dead := st.svc.DeadLetters()
	if len(dead) != 1 {
		t.Fatalf("dead letters = %+v, want 1", dead)
	}
	d := dead[0]
	if d.Attempts != 2 || d.Function != "flaky" || d.RequestID != reqID || d.ErrorType != "errorString" ||
		d.ErrorMessage != "always broken" || string(d.Payload) != `{"fail":"always broken"}` {
		t.Errorf("dead letter = %+v, want 2 attempts of request %s failing with errorString", d, reqID)
	}
	// Every attempt is one invocation with the same request id, as in Lambda.
	if n := strings.Count(st.svc.Logs("flaky"), "START RequestId: "+reqID); n != 2 {
		t.Errorf("%d START lines for %s, want 2:\n%s", n, reqID, st.svc.Logs("flaky"))
	}
}

func TestAsyncTimeoutAndCrashAreRetried(t *testing.T) {
	st := newStack(t, Options{RetryDelay: 10 * time.Millisecond})
	ctx := context.Background()
	st.create(t, "dies", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
	if _, err := st.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("dies"), MaximumRetryAttempts: aws.Int32(2),
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.svc.InvokeAsync(ctx, "arn:aws:lambda:us-east-1:000000000000:function:dies", []byte(`{"exit":2}`)); err != nil {
		t.Fatalf("InvokeAsync: %v", err)
	}
	if err := st.svc.InvokeAsync(ctx, "dies", []byte(`{"sleep_ms":1500}`)); err != nil {
		t.Fatalf("InvokeAsync: %v", err)
	}
	waitIdle(t, st.svc)
	types := map[string]int{}
	for _, d := range st.svc.DeadLetters() {
		types[d.ErrorType] = d.Attempts
	}
	if types["Runtime.ExitError"] != 3 || types["Sandbox.Timedout"] != 3 {
		t.Errorf("dead letters by error type (attempts) = %v, want 3 attempts each of Runtime.ExitError and Sandbox.Timedout", types)
	}
}

func TestAsyncSuccessAndErrors(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	st.create(t, "ok", nil)
	for range 3 {
		if err := st.svc.InvokeAsync(ctx, "ok", []byte(`{"print":"async hello"}`)); err != nil {
			t.Fatalf("InvokeAsync: %v", err)
		}
	}
	waitIdle(t, st.svc)
	if d := st.svc.DeadLetters(); len(d) != 0 {
		t.Errorf("dead letters = %+v, want none", d)
	}
	if n := strings.Count(st.svc.Logs("ok"), "async hello\n"); n != 6 { // stdout and stderr, 3 times
		t.Errorf("%d output lines, want 6", n)
	}
	for _, tc := range []struct {
		fn, payload string
		want        error
	}{
		{"missing", `{}`, ErrFunctionNotFound},
		{"arn:aws:lambda:us-east-1:000000000000:function:missing", `{}`, ErrFunctionNotFound},
		{"ok", `{broken`, ErrInvalidPayload},
		{"ok", `"` + strings.Repeat("x", maxAsyncPayload) + `"`, ErrPayloadTooLarge},
	} {
		if err := st.svc.InvokeAsync(ctx, tc.fn, []byte(tc.payload)); !errors.Is(err, tc.want) {
			t.Errorf("InvokeAsync(%s, %.20s): %v, want %v", tc.fn, tc.payload, err, tc.want)
		}
	}
}
