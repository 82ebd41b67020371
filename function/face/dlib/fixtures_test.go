package dlib

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/imagefmt"
	"github.com/facevec/facevec/result"
)

var update = flag.Bool("update", false, "rewrite fixtures/golden/results.jsonl from the current encoder")

// defaultParams are the Lambda's defaults; the fixtures are all smaller
// than MAX_SIDE, so the CLI's defaults give the same results.
var defaultParams = face.Params{Detector: face.DetectorHOG, Upsample: 1, MaxSide: 2000,
	Limits: imagefmt.Limits{MaxBytes: 25 << 20, MaxPixels: 50_000_000}}

type encoded struct {
	entry fixtures.Entry
	res   *result.Result
	err   error
}

var (
	fixturesOnce sync.Once
	fixturesRes  []encoded
	fixturesDir  string
)

// encodeFixtures encodes every manifest entry once for all tests.
func encodeFixtures(t *testing.T) []encoded {
	t.Helper()
	e := testEncoder(t)
	fixturesOnce.Do(func() {
		dir, err := fixtures.Dir()
		if err != nil {
			t.Fatal(err)
		}
		fixturesDir = dir
		entries, err := fixtures.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			r, err := e.Encode(context.Background(), readFile(t, en.File(dir)), defaultParams)
			fixturesRes = append(fixturesRes, encoded{en, r, err})
		}
	})
	if len(fixturesRes) == 0 {
		t.Fatal("no fixtures encoded")
	}
	return fixturesRes
}

// TestManifest checks every committed fixture against its manifest entry:
// face count, error code, format, upright size and EXIF orientation.
func TestManifest(t *testing.T) {
	for _, f := range encodeFixtures(t) {
		en, r := f.entry, f.res
		t.Run(en.Path, func(t *testing.T) {
			checkResult(t, r)
			if en.Error != "" {
				if r.Error == nil || r.Error.Code != en.Error {
					t.Fatalf("error %+v, want code %s", r.Error, en.Error)
				}
				return
			}
			if f.err != nil {
				t.Fatalf("Encode: %v", f.err)
			}
			if len(r.Faces) != en.Faces {
				t.Errorf("%d faces, want %d", len(r.Faces), en.Faces)
			}
			if r.Image.Width != en.Width || r.Image.Height != en.Height {
				t.Errorf("image %dx%d, want %dx%d", r.Image.Width, r.Image.Height, en.Width, en.Height)
			}
			if r.Image.EXIFOrientation != en.EXIFOrientation {
				t.Errorf("orientation %d, want %d", r.Image.EXIFOrientation, en.EXIFOrientation)
			}
		})
	}
}

// identities maps each labelled face (left to right) to its descriptor.
func identities(t *testing.T) map[string][][]float32 {
	out := map[string][][]float32{}
	for _, f := range encodeFixtures(t) {
		if f.entry.Error != "" || len(f.res.Faces) != len(f.entry.Identity) {
			continue
		}
		faces := append([]result.Face(nil), f.res.Faces...)
		sort.Slice(faces, func(i, j int) bool { return faces[i].Box.Left < faces[j].Box.Left })
		for i, id := range f.entry.Identity {
			if id != "" {
				out[id] = append(out[id], faces[i].Descriptor)
			}
		}
	}
	return out
}

// TestIdentities: every variant of a person (rescaled, cropped,
// recompressed, mirrored, grey, every format, every EXIF orientation, the
// group photo) is within 0.6 of every other; different people are not.
func TestIdentities(t *testing.T) {
	ids := identities(t)
	if len(ids) < 2 {
		t.Fatalf("need at least two identities, have %d", len(ids))
	}
	for name, ds := range ids {
		if len(ds) < 5 {
			t.Errorf("%s: only %d labelled faces", name, len(ds))
		}
		for i := range ds {
			for j := i + 1; j < len(ds); j++ {
				if d := result.Distance(ds[i], ds[j]); d > result.DefaultTolerance {
					t.Errorf("%s #%d vs #%d: distance %.3f > 0.6", name, i, j, d)
				}
			}
		}
		for other, os := range ids {
			if other <= name {
				continue
			}
			for _, a := range ds {
				for _, b := range os {
					if d := result.Distance(a, b); d <= result.DefaultTolerance {
						t.Errorf("%s vs %s: distance %.3f ≤ 0.6", name, other, d)
					}
				}
			}
		}
	}
}

// TestGolden guards against regressions: boxes within 2 px and
// descriptors within 1e-4 of fixtures/golden/results.jsonl (go test -update rewrites it).
func TestGolden(t *testing.T) {
	all := encodeFixtures(t)
	path := filepath.Join(fixturesDir, "golden", "results.jsonl")
	if *update {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		for _, f := range all {
			r := *f.res
			r.Source = result.Source{File: f.entry.Path}
			r.TimingsMS = result.Timings{}
			if err := enc.Encode(&r); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	golden, err := fixtures.LoadGolden(path)
	if err != nil {
		t.Fatalf("%v (run `make golden`)", err)
	}
	for _, f := range all {
		g, ok := golden[f.entry.Path]
		if !ok {
			t.Errorf("%s: not in golden (run `make golden`)", f.entry.Path)
			continue
		}
		if err := fixtures.CompareGolden(f.res, g, 2, 1e-4); err != nil {
			t.Errorf("%s: %v", f.entry.Path, err)
		}
	}
}

// TestConcurrentEncode runs Encode from many goroutines at once and gets
// bit-identical results to one at a time: workers never share a network.
func TestConcurrentEncode(t *testing.T) {
	e := testEncoder(t)
	var inputs [][]byte
	var want []*result.Result
	for _, f := range encodeFixtures(t) {
		if len(f.res.Faces) > 0 && len(inputs) < 6 {
			inputs = append(inputs, readFile(t, f.entry.File(fixturesDir)))
			want = append(want, f.res)
		}
	}
	const rounds = 3
	var wg sync.WaitGroup
	errs := make(chan string, rounds*len(inputs))
	for r := 0; r < rounds; r++ {
		for i := range inputs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := e.Encode(context.Background(), inputs[i], defaultParams)
				if err != nil {
					errs <- err.Error()
					return
				}
				if len(got.Faces) != len(want[i].Faces) {
					errs <- "face count differs"
					return
				}
				for k := range got.Faces {
					if got.Faces[k].Box != want[i].Faces[k].Box {
						errs <- "box differs"
					}
					for j, v := range got.Faces[k].Descriptor {
						if v != want[i].Faces[k].Descriptor[j] {
							errs <- "descriptor differs under concurrency"
							return
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func fixtureBytes(t *testing.T, rel string) []byte {
	t.Helper()
	encodeFixtures(t)
	return readFile(t, filepath.Join(fixturesDir, rel))
}

func TestJitterDeterministicAndClose(t *testing.T) {
	e := testEncoder(t)
	data := fixtureBytes(t, "people/grace hopper.jpg")
	plain := mustEncode(t, e, data, defaultParams)
	p := defaultParams
	p.Jitter = 4
	j1, j2 := mustEncode(t, e, data, p), mustEncode(t, e, data, p)
	if j1.Model.Jitter != 4 || len(j1.Faces) != 1 {
		t.Fatalf("model %+v, %d faces", j1.Model, len(j1.Faces))
	}
	if d := result.Distance(j1.Faces[0].Descriptor, j2.Faces[0].Descriptor); d != 0 {
		t.Errorf("jittered descriptors differ between runs by %g", d)
	}
	d := result.Distance(j1.Faces[0].Descriptor, plain.Faces[0].Descriptor)
	if d == 0 || d > 0.15 {
		t.Errorf("jittered vs plain distance %g, want small but non-zero", d)
	}
}

func iou(a, b result.Box) float64 {
	ix := math.Max(0, float64(min(a.Right, b.Right)-max(a.Left, b.Left)))
	iy := math.Max(0, float64(min(a.Bottom, b.Bottom)-max(a.Top, b.Top)))
	in := ix * iy
	return in / (float64(a.Width()*a.Height()+b.Width()*b.Height()) - in)
}

func TestCNNDetector(t *testing.T) {
	e := testEncoder(t)
	data := fixtureBytes(t, "people/grace hopper.jpg")
	hog := mustEncode(t, e, data, defaultParams)
	cnn := mustEncode(t, e, data, face.Params{Detector: face.DetectorCNN, Upsample: 0})
	if cnn.Model.Detector != "cnn" || len(cnn.Faces) != 1 {
		t.Fatalf("cnn: model %+v, %d faces", cnn.Model, len(cnn.Faces))
	}
	if v := iou(cnn.Faces[0].Box, hog.Faces[0].Box); v < 0.5 {
		t.Errorf("cnn box %+v vs hog box %+v: IoU %.2f", cnn.Faces[0].Box, hog.Faces[0].Box, v)
	}
	if cnn.Faces[0].Confidence <= 0 {
		t.Errorf("cnn confidence %g", cnn.Faces[0].Confidence)
	}
	if d := result.Distance(cnn.Faces[0].Descriptor, hog.Faces[0].Descriptor); d > 0.3 {
		t.Errorf("same face via cnn and hog: distance %.3f", d)
	}
}

// TestMaxSide: detection on a downscaled copy maps boxes back to full
// resolution; landmarks and chips come from the full image.
func TestMaxSide(t *testing.T) {
	e := testEncoder(t)
	data := fixtureBytes(t, "people/grace hopper.jpg")
	full := mustEncode(t, e, data, defaultParams)
	p := defaultParams
	p.MaxSide = 300
	small := mustEncode(t, e, data, p)
	if len(small.Faces) != 1 || small.Image.Width != full.Image.Width {
		t.Fatalf("max-side: %d faces, image %+v", len(small.Faces), small.Image)
	}
	// HOG's 80x80 window lands on a coarser grid at half size, so the box
	// differs more than rounding; the face must still be the same one.
	if v := iou(small.Faces[0].Box, full.Faces[0].Box); v < 0.6 {
		t.Errorf("box %+v vs full-resolution %+v: IoU %.2f", small.Faces[0].Box, full.Faces[0].Box, v)
	}
	if d := result.Distance(small.Faces[0].Descriptor, full.Faces[0].Descriptor); d > 0.1 {
		t.Errorf("descriptor distance %.3f from the full-resolution one", d)
	}
}

func TestLoadGoldenRejectsGarbage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "g.jsonl")
	os.WriteFile(p, []byte("{not json\n"), 0o644)
	if _, err := fixtures.LoadGolden(p); err == nil {
		t.Fatal("no error for garbage")
	}
}

// TestEXIFOrientationsUpright: the eight EXIF orientations of one photo
// (pixels stored rotated, tag says how to undo it) all give the upright
// result: same size, same box, nearly the same descriptor (each file is
// its own lossy JPEG encoding of the rotated pixels, so vectors differ by
// up to ~0.1, far below the 0.6 identity threshold).
func TestEXIFOrientationsUpright(t *testing.T) {
	var ref *result.Result
	seen := 0
	for _, f := range encodeFixtures(t) {
		if !strings.HasPrefix(f.entry.Path, "exif/hopper-o") {
			continue
		}
		seen++
		r := f.res
		if r.Image.EXIFOrientation != f.entry.EXIFOrientation || len(r.Faces) != 1 {
			t.Fatalf("%s: orientation %d, %d faces", f.entry.Path, r.Image.EXIFOrientation, len(r.Faces))
		}
		if ref == nil {
			ref = r
			continue
		}
		if r.Image.Width != ref.Image.Width || r.Image.Height != ref.Image.Height {
			t.Errorf("%s: %dx%d, want %dx%d", f.entry.Path, r.Image.Width, r.Image.Height, ref.Image.Width, ref.Image.Height)
		}
		if err := fixtures.CompareGolden(r, ref, 2, 1); err != nil {
			t.Errorf("%s vs upright: %v", f.entry.Path, err)
		}
		if d := result.Distance(r.Faces[0].Descriptor, ref.Faces[0].Descriptor); d > 0.15 {
			t.Errorf("%s: descriptor %.3f from the upright one", f.entry.Path, d)
		}
	}
	if seen != 8 {
		t.Errorf("found %d EXIF fixtures, want 8", seen)
	}
}
