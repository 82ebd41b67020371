package lambdasvc

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestReservedConcurrencyCapsEnvironments: with reserved concurrency 1, six
// concurrent invocations run one at a time in one environment (MaxConcurrency
// is 3); deleting it restores the service's bound. The SDK's own calls are
// used, as provision and the AWS CLI make them.
func TestReservedConcurrencyCapsEnvironments(t *testing.T) {
	st := newStack(t, Options{MaxConcurrency: 3, NoSandbox: true})
	st.create(t, "capped", nil)
	ctx := context.Background()
	if _, err := st.client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("capped"), ReservedConcurrentExecutions: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}
	got, err := st.client.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("capped")})
	if err != nil || aws.ToInt32(got.ReservedConcurrentExecutions) != 1 {
		t.Fatalf("GetFunctionConcurrency = %v, %v; want 1", got, err)
	}
	invokeAll := func() int {
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st.invoke(t, "capped", map[string]any{"sleep_ms": 150})
			}()
		}
		wg.Wait()
		p := st.fn(t, "capped").pool
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.peak
	}
	if peak := invokeAll(); peak != 1 {
		t.Errorf("%d environments at once under reserved concurrency 1, want 1", peak)
	}
	if _, err := st.client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("capped"), ReservedConcurrentExecutions: aws.Int32(0),
	}); err == nil {
		t.Error("reserved concurrency 0 accepted; the stand-in cannot throttle")
	}
	if _, err := st.client.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("capped")}); err != nil {
		t.Fatal(err)
	}
	if peak := invokeAll(); peak < 2 {
		t.Errorf("peak %d environments after DeleteFunctionConcurrency, want more than 1 (MaxConcurrency 3)", peak)
	}
}
