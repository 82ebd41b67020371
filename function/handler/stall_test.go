package handler_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/dlib"
	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/result"
)

// stallingEncoder is the real encoder behind a call that, like a long
// dlib detection, ignores the context for a while.
type stallingEncoder struct {
	*dlib.Encoder
	stall time.Duration
}

func (s stallingEncoder) Encode(ctx context.Context, data []byte, p face.Params) (*result.Result, error) {
	time.Sleep(s.stall)
	return s.Encoder.Encode(ctx, data, p)
}

// TestEncodeOutlastsDeadline: an encode that cannot be interrupted and
// outlasts the work deadline still yields a timeout result written before
// the Lambda deadline, instead of the process being killed with nothing
// written.
func TestEncodeOutlastsDeadline(t *testing.T) {
	st := newStack(t, "faces-in")
	log, _ := newLog(t)
	cfg := handler.DefaultConfig()
	cfg.ModelsDir = modelsDir(t)
	enc := stallingEncoder{testEncoder(t), 5 * time.Second}
	h, err := handler.New(cfg, enc, st.client, handler.WithLogger(log),
		handler.WithSafetyMargin(time.Second, handler.DefaultMarginFraction))
	if err != nil {
		t.Fatal(err)
	}
	rec := st.upload(t, "faces-in", "stuck.jpg", testImage(t, "one"))
	start := time.Now()
	ctx, cancel := context.WithDeadline(ctxT(t), start.Add(2500*time.Millisecond))
	defer cancel()
	resp, err := h.Handle(ctx, event(rec))
	if !errors.Is(err, handler.ErrRetryable) {
		t.Fatalf("Handle: %v, want ErrRetryable (so Lambda retries, then reports the event)", err)
	}
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Fatalf("Handle took %v, past the deadline", took)
	}
	res, _ := st.result(t, "faces-in", "encodings/faces-in/stuck.jpg.json")
	if res.Error == nil || res.Error.Code != result.CodeTimeout || codeOf(resp.Results[0]) != result.CodeTimeout {
		t.Fatalf("result error %+v, summary %+v; want timeout", res.Error, resp.Results[0])
	}
}
