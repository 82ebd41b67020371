package s3svc

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestDeliveryDoesNotBlockWrites: with the function stuck, PUTs still
// return; the events go out once it frees up.
func TestDeliveryDoesNotBlockWrites(t *testing.T) {
	h := newHarness(t)
	h.inv.block = make(chan struct{})
	h.mkBucket(t, "photos")
	h.notify(t, "photos", lambdaConfig("all", testARN, []types.Event{"s3:ObjectCreated:*"}))

	for _, k := range []string{"a", "b", "c"} {
		h.put(t, "photos", k, "x") // would hang here if delivery were synchronous
	}
	if st := h.svc.Stats(); st.Pending != 3 || st.Delivered != 0 {
		t.Fatalf("stats while blocked = %+v, want 3 pending", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.svc.WaitIdle(ctx); err == nil {
		t.Fatal("WaitIdle returned while deliveries were blocked")
	}
	close(h.inv.block)
	h.waitIdle(t)
	if st := h.svc.Stats(); st.Pending != 0 || st.Delivered != 3 || st.Failed != 0 {
		t.Fatalf("stats after release = %+v, want 3 delivered", st)
	}
	var keys []string
	for _, ev := range h.inv.events(t) {
		keys = append(keys, ev.S3.Object.Key)
	}
	if len(keys) != 3 || keys[0] != "a" || keys[1] != "b" || keys[2] != "c" {
		t.Fatalf("delivered keys %v, want a b c in order", keys)
	}
}

func TestDeliveryRetries(t *testing.T) {
	h := newHarness(t)
	h.inv.failFirst = deliveryAttempts - 1
	h.mkBucket(t, "photos")
	h.notify(t, "photos", lambdaConfig("all", testARN, []types.Event{"s3:ObjectCreated:*"}))
	h.put(t, "photos", "a", "x")
	h.waitIdle(t)
	if st := h.svc.Stats(); st.Delivered != 1 || st.Failed != 0 {
		t.Fatalf("stats = %+v, want delivered after retries", st)
	}
	if n := len(h.inv.invocations()); n != 1 {
		t.Fatalf("%d events recorded, want 1", n)
	}
}

func TestDeliveryGivesUpAndCounts(t *testing.T) {
	h := newHarness(t)
	h.inv.failFirst = deliveryAttempts // every attempt fails
	h.mkBucket(t, "photos")
	h.notify(t, "photos", lambdaConfig("all", testARN, []types.Event{"s3:ObjectCreated:*"}))
	h.put(t, "photos", "a", "x")
	h.waitIdle(t)
	if st := h.svc.Stats(); st.Delivered != 0 || st.Failed != 1 {
		t.Fatalf("stats = %+v, want 1 failed", st)
	}
	h.inv.mu.Lock()
	calls := h.inv.calls
	h.inv.mu.Unlock()
	if calls != deliveryAttempts {
		t.Fatalf("%d attempts, want %d", calls, deliveryAttempts)
	}
}

func TestCloseDrainsAndIsIdempotent(t *testing.T) {
	inv := &recorder{block: make(chan struct{})}
	svc, err := New(WithInvoker(inv), WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	svc.disp.enqueue(delivery{functionARN: testARN, payload: []byte(`{}`), bucket: "b", key: "k"})
	go func() {
		time.Sleep(50 * time.Millisecond)
		close(inv.block)
	}()
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(inv.invocations()); n != 1 {
		t.Fatalf("Close delivered %d queued events, want 1", n)
	}
	if err := svc.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Deliveries after Close fail loudly instead of vanishing.
	svc.disp.enqueue(delivery{functionARN: testARN, payload: []byte(`{}`), bucket: "b", key: "late"})
	if st := svc.Stats(); st.Failed != 1 {
		t.Fatalf("stats after a late event = %+v, want 1 failed", st)
	}
}

func TestPanickingInvokerIsAFailedDelivery(t *testing.T) {
	h := newHarness(t, WithInvoker(InvokerFunc(func(context.Context, string, []byte) error { panic("boom") })))
	h.mkBucket(t, "photos")
	h.notify(t, "photos", lambdaConfig("all", testARN, []types.Event{"s3:ObjectCreated:*"}))
	h.put(t, "photos", "a", "x")
	h.waitIdle(t)
	if st := h.svc.Stats(); st.Failed != 1 {
		t.Fatalf("stats = %+v, want 1 failed", st)
	}
	h.put(t, "photos", "b", "x") // the dispatcher is still alive
	h.waitIdle(t)
	if st := h.svc.Stats(); st.Failed != 2 {
		t.Fatalf("stats = %+v, want 2 failed", st)
	}
}
