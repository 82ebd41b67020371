package handler_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/function/handler"
)

// gatedS3 holds the result write of one source ETag until released, to
// play out an interleaving of two invocations deterministically.
type gatedS3 struct {
	handler.S3API
	etag    string
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate(client handler.S3API, etag string) *gatedS3 {
	return &gatedS3{S3API: client, etag: etag, reached: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedS3) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if in.Metadata[handler.MetaSourceETag] == g.etag {
		g.once.Do(func() {
			close(g.reached)
			<-g.release
		})
	}
	return g.S3API.PutObject(ctx, in, opts...)
}

// handleAsync runs an invocation in the background.
func handleAsync(t *testing.T, h *handler.Handler, rec events.S3EventRecord) <-chan handler.Response {
	done := make(chan handler.Response, 1)
	go func() {
		resp, err := h.Handle(ctxT(t), event(rec))
		if err != nil {
			t.Errorf("Handle: %v", err)
		}
		done <- resp
	}()
	return done
}

func waitGate(t *testing.T, g *gatedS3) {
	t.Helper()
	select {
	case <-g.reached:
	case <-time.After(time.Minute):
		t.Fatal("the gated invocation never reached its result write")
	}
}

func gatedHandler(t *testing.T, st *stack, g *gatedS3) *handler.Handler {
	t.Helper()
	log, _ := newLog(t)
	cfg := handler.DefaultConfig()
	cfg.ModelsDir = modelsDir(t)
	h, err := handler.New(cfg, testEncoder(t), g, handler.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestOlderWriteCannotLandLast: photo A is uploaded, then B to the same
// key. A's invocation reads A and is about to write when B's invocation
// writes B's result. A's write must not land over it: the final result
// describes B, the object's current ETag.
func TestOlderWriteCannotLandLast(t *testing.T) {
	st := newStack(t, "faces-in")
	a, b := testImage(t, "one"), testImage(t, "group")
	recA := st.upload(t, "faces-in", "me.jpg", a)
	gate := newGate(st.client, recA.S3.Object.ETag)
	doneA := handleAsync(t, gatedHandler(t, st, gate), recA)
	waitGate(t, gate) // A passed its checks: the object was still A

	recB := st.upload(t, "faces-in", "me.jpg", b)
	hB, _ := newHandler(t, st, handler.DefaultConfig())
	if _, err := hB.Handle(ctxT(t), event(recB)); err != nil {
		t.Fatal(err)
	}
	close(gate.release)
	respA := <-doneA

	res, _ := st.result(t, "faces-in", "encodings/faces-in/me.jpg.json")
	if res.Source.ETag != recB.S3.Object.ETag {
		t.Errorf("final result describes ETag %s, want the current object's %s (A's was %s)",
			res.Source.ETag, recB.S3.Object.ETag, recA.S3.Object.ETag)
	}
	if s := respA.Results[0]; s.Skipped != handler.SkipSuperseded {
		t.Errorf("A's invocation: %+v, want skipped as superseded", s)
	}
}

// TestRevertGetsTheCurrentResult: A, then B, then A again. B's invocation
// is about to write when A is uploaded again, and A's second invocation
// finds A's first result final and skips. B's write then lands; its
// invocation sees the object changed meanwhile and encodes it again, so the
// final result describes A.
func TestRevertGetsTheCurrentResult(t *testing.T) {
	st := newStack(t, "faces-in")
	a, b := testImage(t, "one"), testImage(t, "group")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	recA := st.upload(t, "faces-in", "me.jpg", a)
	if _, err := h.Handle(ctxT(t), event(recA)); err != nil {
		t.Fatal(err)
	}
	recB := st.upload(t, "faces-in", "me.jpg", b)
	gate := newGate(st.client, recB.S3.Object.ETag)
	doneB := handleAsync(t, gatedHandler(t, st, gate), recB)
	waitGate(t, gate)

	recA2 := st.upload(t, "faces-in", "me.jpg", a)
	resp, err := h.Handle(ctxT(t), event(recA2))
	if err != nil {
		t.Fatal(err)
	}
	if s := resp.Results[0]; s.Skipped != handler.SkipAlreadyEncoded {
		t.Fatalf("A again: %+v, want skipped (A's result is still there): the interleaving did not happen", s)
	}
	close(gate.release)
	<-doneB

	res, _ := st.result(t, "faces-in", "encodings/faces-in/me.jpg.json")
	if res.Source.ETag != recA.S3.Object.ETag || len(res.Faces) != 1 {
		t.Errorf("final result: ETag %s with %d faces, want A's %s with 1 face", res.Source.ETag, len(res.Faces), recA.S3.Object.ETag)
	}
}

// TestConcurrentPutsToOneKey: 8 uploads of two photos to one key, each
// handled concurrently; when all is done the result describes the object
// as it is.
func TestConcurrentPutsToOneKey(t *testing.T) {
	st := newStack(t, "faces-in")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	imgs := [][]byte{testImage(t, "one"), testImage(t, "group")}
	var recs []events.S3EventRecord
	for i := range 8 {
		recs = append(recs, st.upload(t, "faces-in", "busy.jpg", imgs[i%2]))
	}
	var wg sync.WaitGroup
	for _, rec := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Handle(ctxT(t), event(rec)); err != nil {
				t.Errorf("Handle: %v", err)
			}
		}()
	}
	wg.Wait()
	head := st.head(t, "faces-in", "busy.jpg")
	res, _ := st.result(t, "faces-in", "encodings/faces-in/busy.jpg.json")
	if want := trim(aws.ToString(head.ETag)); res.Source.ETag != want {
		t.Errorf("result describes ETag %s, the object is %s", res.Source.ETag, want)
	}
}

func trim(etag string) string {
	if len(etag) >= 2 && etag[0] == '"' && etag[len(etag)-1] == '"' {
		return etag[1 : len(etag)-1]
	}
	return etag
}
