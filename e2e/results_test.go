//go:build e2e

package e2e

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/result"
)

// The model block every result must carry (docs/CONTRACT.md: Models, and the
// function's defaults, which the suite sets explicitly).
var wantModel = result.Model{
	Detector:         "hog",
	Upsample:         1,
	Jitter:           0,
	Recognizer:       "dlib_face_recognition_resnet_model_v1",
	RecognizerSHA256: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
	// The kernel set the function pins whatever the host (docs/CONTRACT.md:
	// model.blas), in its error results too.
	BLAS: "Haswell",
}

// Golden tolerances: none. The Lambda build and the golden build (make
// golden, in process) run the same code on the same OpenBLAS kernel set,
// pinned whatever the host (model.blas), so boxes and descriptors are
// identical; a difference is a fidelity bug, not noise.
const (
	boxTol  = 0
	descTol = 0.0
)

// TestResults checks the result of every upload of the batch whose key
// triggers the function: schema, source, image facts, face count, and
// boxes and descriptors against the golden results.
func TestResults(t *testing.T) {
	s := getSuite(t)
	for _, u := range s.uploads {
		if !u.Triggers {
			continue
		}
		t.Run(u.Key, func(t *testing.T) {
			if u.Err != nil {
				t.Fatalf("no result for s3://%s/%s after uploading it: %v\nfunction log for this key:\n%s",
					s.in(), u.Key, u.Err, s.functionLogFor(u.Key))
			}
			checkResult(t, s, u)
			t.Logf("e2e: %s", summary(u))
		})
	}
}

// summary is the one-line human account of an upload's result.
func summary(u *upload) string {
	r := u.Result
	switch {
	case r == nil:
		return fmt.Sprintf("%-48q no result", u.Key)
	case r.Error != nil:
		return fmt.Sprintf("%-48q error %s: %s", u.Key, r.Error.Code, r.Error.Message)
	case len(r.Faces) == 0:
		return fmt.Sprintf("%-48q %dx%d %s, 0 faces (%.0f ms)", u.Key, r.Image.Width, r.Image.Height, r.Image.Format, r.TimingsMS.Total)
	default:
		b := r.Faces[0].Box
		return fmt.Sprintf("%-48q %dx%d %s, %d face(s), first box (%d,%d,%d,%d) (%.0f ms)",
			u.Key, r.Image.Width, r.Image.Height, r.Image.Format, len(r.Faces), b.Left, b.Top, b.Right, b.Bottom, r.TimingsMS.Total)
	}
}

func checkResult(t *testing.T, s *suite, u *upload) {
	t.Helper()
	r := u.Result
	if r.Schema != result.Schema {
		t.Errorf("schema %q, want %q", r.Schema, result.Schema)
	}
	wantSrc := result.Source{Bucket: s.in(), Key: u.Key, ETag: u.ETag, Size: u.Size}
	if got := r.Source; got.Bucket != wantSrc.Bucket || got.Key != wantSrc.Key || got.ETag != wantSrc.ETag || got.Size != wantSrc.Size || got.File != "" {
		t.Errorf("source %+v, want %+v (the upload's bucket, key, ETag and size)", got, wantSrc)
	}
	if r.Model != wantModel {
		t.Errorf("model %+v, want %+v", r.Model, wantModel)
	}
	if !strings.HasPrefix(u.ContentType, "application/json") {
		t.Errorf("result Content-Type %q, want application/json", u.ContentType)
	}

	switch {
	case u.Entry != nil && !u.Entry.Good():
		checkErrorResult(t, u, u.Entry.Error)
		return
	case r.Error != nil:
		t.Fatalf("error result %s: %s; want faces", r.Error.Code, r.Error.Message)
	}
	checkFaces(t, r)
	if r.TimingsMS.Total <= 0 {
		t.Errorf("timings_ms.total = %v, want > 0", r.TimingsMS.Total)
	}
	if u.Entry == nil {
		return // an extra photo: TestExtraFixtures knows its facts
	}
	e := u.Entry
	img := r.Image
	if img.Width != e.Width || img.Height != e.Height || img.Format != e.Format || img.EXIFOrientation != e.EXIFOrientation {
		t.Errorf("image %dx%d %s orientation %d, manifest %dx%d %s orientation %d",
			img.Width, img.Height, img.Format, img.EXIFOrientation, e.Width, e.Height, e.Format, e.EXIFOrientation)
	}
	if len(r.Faces) != e.Faces {
		t.Errorf("%d faces, manifest says %d (%s)", len(r.Faces), e.Faces, e.Note)
	}
	if err := fixtures.CompareGolden(r, s.golden[u.Fixture], boxTol, descTol); err != nil {
		t.Errorf("differs from golden %q beyond %d px / %g: %v", u.Fixture, boxTol, descTol, err)
	}
}

// checkErrorResult checks a result that must be an error with code.
func checkErrorResult(t *testing.T, u *upload, code result.Code) {
	t.Helper()
	r := u.Result
	if r.Error == nil {
		t.Fatalf("result has no error and %d faces; want error %q", len(r.Faces), code)
	}
	if r.Error.Code != code {
		t.Errorf("error code %q (%s), want %q", r.Error.Code, r.Error.Message, code)
	}
	if !strings.Contains(r.Error.Message, u.Key) {
		t.Errorf("error message %q does not name the key %q", r.Error.Message, u.Key)
	}
	if len(r.Faces) != 0 {
		t.Errorf("error result with %d faces; the schema wants none", len(r.Faces))
	}
}

// checkFaces checks what every face must satisfy, whatever the image.
func checkFaces(t *testing.T, r *result.Result) {
	t.Helper()
	for i, f := range r.Faces {
		b := f.Box
		if b.Left < 0 || b.Top < 0 || b.Right > r.Image.Width || b.Bottom > r.Image.Height || b.Left >= b.Right || b.Top >= b.Bottom {
			t.Errorf("face %d: box %+v not a non-empty rectangle inside %dx%d", i, b, r.Image.Width, r.Image.Height)
		}
		if len(f.Landmarks) != 5 {
			t.Errorf("face %d: %d landmarks, want 5 (dlib 5-point)", i, len(f.Landmarks))
		}
		if len(f.Descriptor) != result.DescriptorLen {
			t.Errorf("face %d: %d descriptor values, want %d", i, len(f.Descriptor), result.DescriptorLen)
		}
		for k, v := range f.Descriptor {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Errorf("face %d: descriptor[%d] = %v", i, k, v)
				break
			}
		}
		if math.IsNaN(f.Confidence) {
			t.Errorf("face %d: confidence is NaN", i)
		}
	}
}

// functionLogFor returns the function's log lines that mention key, for
// failure messages.
func (s *suite) functionLogFor(key string) string {
	logs := s.stack.FunctionLogs(s.spec.FunctionName)
	if logs == "" {
		return "(no function log on this backend)"
	}
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, key) {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return "(no line mentions it)"
	}
	return strings.Join(out, "\n")
}
