package dlib

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/imagefmt"
	"github.com/facevec/facevec/result"
)

var (
	sharedOnce sync.Once
	sharedEnc  *Encoder
	sharedErr  error
)

// modelsDir finds the models for tests: $FACEVEC_MODELS, else the repo's
// models/. Without them the test is skipped locally and fails in CI
// (where `make test` has fetched them), so CI can never pass vacuously.
func modelsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("FACEVEC_MODELS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "models")
	}
	if _, err := os.Stat(filepath.Join(dir, face.RecognizerFile)); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("models not found in %s (run `make models`)", dir)
		}
		t.Skipf("models not found in %s (run `make models`)", dir)
	}
	return dir
}

// testEncoder is one encoder shared by the package's tests (loading the
// networks for every test would dominate the run time).
func testEncoder(t testing.TB) *Encoder {
	t.Helper()
	dir := modelsDir(t)
	sharedOnce.Do(func() { sharedEnc, sharedErr = New(dir, WithWorkers(2)) })
	if sharedErr != nil {
		t.Fatalf("New: %v", sharedErr)
	}
	return sharedEnc
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedEnc != nil {
		sharedEnc.Close()
	}
	os.Exit(code)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustEncode(t testing.TB, e *Encoder, data []byte, p face.Params) *result.Result {
	t.Helper()
	r, err := e.Encode(context.Background(), data, p)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	checkResult(t, r)
	return r
}

// checkResult asserts the schema invariants every result must hold.
func checkResult(t testing.TB, r *result.Result) {
	t.Helper()
	if r.Schema != result.Schema {
		t.Errorf("schema %q", r.Schema)
	}
	if r.Faces == nil {
		t.Errorf("faces is nil, must marshal as []")
	}
	for i, f := range r.Faces {
		if len(f.Descriptor) != result.DescriptorLen {
			t.Errorf("face %d: descriptor has %d values", i, len(f.Descriptor))
		}
		if len(f.Landmarks) != 5 {
			t.Errorf("face %d: %d landmarks", i, len(f.Landmarks))
		}
		b := f.Box
		if b.Left < 0 || b.Top < 0 || b.Right > r.Image.Width || b.Bottom > r.Image.Height || b.Left >= b.Right || b.Top >= b.Bottom {
			t.Errorf("face %d: box %+v outside %dx%d image", i, b, r.Image.Width, r.Image.Height)
		}
	}
}

// extraFixtures returns FACEVEC_EXTRA_FIXTURES or skips.
func extraFixtures(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FACEVEC_EXTRA_FIXTURES")
	if dir == "" {
		t.Skip("FACEVEC_EXTRA_FIXTURES not set (e.g. ../shared/testdata/faces)")
	}
	return dir
}

// findFaces decodes data and finds its faces as Encode does at full size
// (HOG, upsample 1): the inputs of a describe call.
func findFaces(tb testing.TB, w *worker, name string, data []byte) (*imagefmt.RGB, imagefmt.Format, []rect, [][5][2]int) {
	tb.Helper()
	img, info, err := Decode(data, imagefmt.Limits{})
	if err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
	rects, err := w.net.detect(img.Pix, img.Width, img.Height, img.Width, img.Height, kindHOG, 1)
	if err != nil {
		tb.Fatalf("detect %s: %v", name, err)
	}
	shapes, err := w.net.landmarks(img.Pix, img.Width, img.Height, rects)
	if err != nil {
		tb.Fatalf("landmarks %s: %v", name, err)
	}
	return img, imagefmt.Format(info.Format), rects, shapes
}
