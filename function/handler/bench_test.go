package handler_test

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/facevec/facevec/function/handler"
)

// BenchmarkHandleRecord is one record end to end against the loopback
// S3: idempotency check, read, encode, write. Compare with the encoder's
// own numbers to see the handler's overhead.
func BenchmarkHandleRecord(b *testing.B) {
	img := testImage(b, "one")
	st := newStack(b, "faces-in")
	cfg := handler.DefaultConfig()
	cfg.ModelsDir = modelsDir(b)
	h, err := handler.New(cfg, testEncoder(b), st.client, handler.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rec := st.upload(b, "faces-in", fmt.Sprintf("bench/%d.jpg", i), img)
		b.StartTimer()
		if _, err := h.Handle(ctxT(b), event(rec)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandleRedelivery is the cost of a redelivered record: one
// HeadObject, no read, no encode.
func BenchmarkHandleRedelivery(b *testing.B) {
	img := testImage(b, "one")
	st := newStack(b, "faces-in")
	cfg := handler.DefaultConfig()
	cfg.ModelsDir = modelsDir(b)
	h, err := handler.New(cfg, testEncoder(b), st.client, handler.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	rec := st.upload(b, "faces-in", "bench.jpg", img)
	if _, err := h.Handle(ctxT(b), event(rec)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := h.Handle(ctxT(b), event(rec))
		if err != nil || resp.Results[0].Skipped != handler.SkipAlreadyEncoded {
			b.Fatalf("redelivery: %+v, %v", resp, err)
		}
	}
}
