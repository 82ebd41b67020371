package dlib

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/function/face/imagefmt"
)

// The exact HOG scanner (hog_scan.h) must return what dlib's own
// get_frontal_face_detector() returns: the same boxes, in the same order,
// with bit-identical scores. These tests compare the two on every fixture
// that decodes, the extra photos, and thousands of generated images, at
// upsample 0, 1 and 2, on both kernel sets (SSE2 and, where the CPU has
// it, AVX2) and with one and two threads. Any difference fails.
//
// A negative adjust lowers dlib's threshold so that every candidate
// scoring within that of it is compared, not only the faces: tens of boxes
// per photo instead of one or none.
//
// Each comparison runs dlib's detector, which is slow, so `make test` runs
// a cheap scope (every fixture at upsample 0, the small ones at 1, and
// hogExactCases small generated images). FACEVEC_HOG_EXACT=full runs the
// whole proof: every fixture at upsample 0 and 1 (2 up to 0.3 MP), at
// dlib's threshold and below it, and hogExactFullCases generated images
// of up to 400 px; FACEVEC_HOG_EXACT_CASES overrides the count.
const (
	hogExactCases     = 300
	hogExactFullCases = 3000
)

func hogExactFull() bool { return os.Getenv("FACEVEC_HOG_EXACT") == "full" }

// hogVariant is one way of running the scanner.
type hogVariant struct {
	impl    hogImpl
	threads int
}

func (v hogVariant) String() string { return fmt.Sprintf("%v/threads=%d", v.impl, v.threads) }

func hogVariants(t *testing.T) []hogVariant {
	vs := []hogVariant{{hogSSE2, 1}, {hogSSE2, 2}}
	if hogHaveAVX2() {
		vs = append(vs, hogVariant{hogAVX2, 1}, hogVariant{hogAVX2, 2})
	} else {
		t.Log("this CPU has no AVX2: only the SSE2 kernels are compared")
	}
	return vs
}

// hogCompare runs dlib's detector and every variant on img and reports
// each difference; it returns how many boxes dlib found.
func hogCompare(t *testing.T, w *worker, name string, img *imagefmt.RGB, up int, adjust float64, vs []hogVariant) int {
	t.Helper()
	want, err := w.net.detectHOG(img.Pix, img.Width, img.Height, up, hogDlib, adjust)
	if err != nil {
		t.Fatalf("%s: dlib: %v", name, err)
	}
	for _, v := range vs {
		w.net.setHOGThreads(v.threads)
		got, err := w.net.detectHOG(img.Pix, img.Width, img.Height, up, v.impl, adjust)
		if err != nil {
			t.Fatalf("%s: %v: %v", name, v, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s (%dx%d, upsample %d, adjust %g) %v: %s", name, img.Width, img.Height, up, adjust, v,
				hogDiff(want, got))
		}
	}
	w.net.setHOGThreads(1)
	return len(want)
}

// hogDiff describes the first difference between two detection lists.
func hogDiff(want, got []rect) string {
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			return fmt.Sprintf("%d boxes, dlib %d; first missing %+v", len(got), len(want), want[i])
		case i >= len(want):
			return fmt.Sprintf("%d boxes, dlib %d; first extra %+v", len(got), len(want), got[i])
		case got[i] != want[i]:
			return fmt.Sprintf("box %d is %+v (score %s), dlib %+v (score %s)", i, got[i],
				strconv.FormatFloat(got[i].Confidence, 'g', -1, 64), want[i],
				strconv.FormatFloat(want[i].Confidence, 'g', -1, 64))
		}
	}
	return "equal"
}

// hogWorker takes a worker of the shared encoder for the test.
func hogWorker(t *testing.T) *worker {
	t.Helper()
	e := testEncoder(t)
	w := <-e.idle
	t.Cleanup(func() {
		w.net.setHOGThreads(1)
		e.idle <- w
	})
	return w
}

// fixtureImages decodes every fixture (and extra photo) that decodes.
func fixtureImages(t *testing.T) map[string]*imagefmt.RGB {
	t.Helper()
	dir, err := fixtures.Dir()
	if err != nil {
		t.Fatal(err)
	}
	roots := []string{dir}
	if extra := os.Getenv("FACEVEC_EXTRA_FIXTURES"); extra != "" {
		roots = append(roots, extra)
	}
	imgs := map[string]*imagefmt.RGB{}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tiff", ".webp":
			default:
				return nil
			}
			img, _, derr := Decode(readFile(t, p), imagefmt.Limits{})
			if derr != nil {
				return nil // the bad/ fixtures
			}
			rel, _ := filepath.Rel(filepath.Dir(root), p)
			imgs[rel] = img
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return imgs
}

// TestHOGScannerExactFixtures: every fixture that decodes (see the top of
// this file for the scope).
func TestHOGScannerExactFixtures(t *testing.T) {
	w := hogWorker(t)
	vs := hogVariants(t)
	imgs := fixtureImages(t)
	if len(imgs) < 20 {
		t.Fatalf("only %d fixtures decode", len(imgs))
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range imgs {
			if !yield(k) {
				return
			}
		}
	})
	cases, boxes := 0, 0
	for _, name := range names {
		img := imgs[name]
		ups, adjusts := []int{0}, []float64{-1}
		if hogExactFull() {
			ups, adjusts = []int{0, 1}, []float64{0, -1}
			if img.Width*img.Height <= 300_000 {
				ups = append(ups, 2)
			}
		} else if img.Width*img.Height <= 100_000 {
			ups = append(ups, 1)
		}
		for _, up := range ups {
			for _, adjust := range adjusts {
				boxes += hogCompare(t, w, name, img, up, adjust, vs)
				cases++
			}
		}
	}
	t.Logf("%d fixtures, %d cases x %d variants, %d dlib boxes compared", len(imgs), cases, len(vs), boxes)
	if boxes < 50 {
		t.Errorf("only %d boxes compared: the comparison has gone vacuous", boxes)
	}
}

// TestHOGScannerExactGenerated: random crops and scales of the photos,
// noise, grey images (every colour channel ties, which dlib's two pixel
// paths break differently), flat and striped images, of every small size
// from 1 pixel up, each at a random upsample 0..2.
func TestHOGScannerExactGenerated(t *testing.T) {
	w := hogWorker(t)
	vs := hogVariants(t)
	n, limit := hogExactCases, 160
	if hogExactFull() {
		n, limit = hogExactFullCases, 400
	}
	if s := os.Getenv("FACEVEC_HOG_EXACT_CASES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("FACEVEC_HOG_EXACT_CASES=%q: %v", s, err)
		}
	}
	dir, err := fixtures.Dir()
	if err != nil {
		t.Fatal(err)
	}
	var photos []*imagefmt.RGB
	for _, p := range []string{"people/grace hopper.jpg", "group/équipe 4.jpg", "people/astronaut é.png"} {
		img, _, err := Decode(readFile(t, filepath.Join(dir, p)), imagefmt.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		photos = append(photos, img)
	}
	rng := rand.New(rand.NewPCG(21, 1))
	boxes, kinds := 0, map[string]int{}
	for i := range n {
		kind, img := hogGenerate(rng, photos, limit)
		kinds[kind]++
		up := rng.IntN(3)
		if img.Width*img.Height > 60_000 && up == 2 {
			up = 1 // keep the run short: 2x2 upsampling of a large crop is 16x the work
		}
		// Every kernel set on every image, one or two threads in turn.
		var these []hogVariant
		for _, v := range vs {
			if v.threads == 1+i%2 {
				these = append(these, v)
			}
		}
		boxes += hogCompare(t, w, fmt.Sprintf("case %d (%s)", i, kind), img, up, -1.5, these)
		if t.Failed() && i > 20 {
			t.Fatalf("stopping after case %d", i)
		}
	}
	t.Logf("%d generated images (%v), every kernel set on each, %d dlib boxes compared", n, kinds, boxes)
	if n >= 200 && boxes < n/2 {
		t.Errorf("only %d boxes over %d images: the comparison has gone vacuous", boxes, n)
	}
}

// hogGenerate makes one test image and names its kind.
// Sides are at most limit pixels.
func hogGenerate(rng *rand.Rand, photos []*imagefmt.RGB, limit int) (string, *imagefmt.RGB) {
	side := func(most int) int { return 1 + rng.IntN(min(most, limit)) }
	switch k := rng.IntN(6); k {
	case 0, 1: // crop, maybe scaled, of a photo
		src := photos[rng.IntN(len(photos))]
		cw, ch := side(min(src.Width, 400)), side(min(src.Height, 400))
		x0, y0 := rng.IntN(src.Width-cw+1), rng.IntN(src.Height-ch+1)
		img := hogCrop(src, x0, y0, cw, ch)
		if k == 1 {
			f := 0.3 + rng.Float64()*1.2
			img = hogScale(img, max(1, int(float64(cw)*f)), max(1, int(float64(ch)*f)))
			return "scaled crop", img
		}
		return "crop", img
	case 2: // noise
		img := hogBlank(side(250), side(250))
		for i := range img.Pix {
			img.Pix[i] = byte(rng.IntN(256))
		}
		return "noise", img
	case 3: // grey crop with noise: channels tie everywhere
		src := photos[rng.IntN(len(photos))]
		cw, ch := side(min(src.Width, 300)), side(min(src.Height, 300))
		img := hogCrop(src, rng.IntN(src.Width-cw+1), rng.IntN(src.Height-ch+1), cw, ch)
		for i := 0; i < len(img.Pix); i += 3 {
			g := int(img.Pix[i]) + rng.IntN(9) - 4
			g = min(255, max(0, g))
			img.Pix[i], img.Pix[i+1], img.Pix[i+2] = byte(g), byte(g), byte(g)
		}
		return "grey", img
	case 4: // stripes and steps: equal gradients in different channels
		img := hogBlank(side(250), side(250))
		a, b := 1+rng.IntN(9), 1+rng.IntN(9)
		for y := range img.Height {
			for x := range img.Width {
				i := 3 * (y*img.Width + x)
				v := byte((x*a + y*b) % 256)
				img.Pix[i], img.Pix[i+1], img.Pix[i+2] = v, byte((x*b+y*a)%256), byte(255-int(v))
			}
		}
		return "stripes", img
	default: // a few grey levels: many zero and tied gradients
		img := hogBlank(side(250), side(250))
		for i := 0; i < len(img.Pix); i += 3 {
			v := byte(rng.IntN(3) * 120)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2] = v, v, byte(rng.IntN(2)*255)
		}
		return "levels", img
	}
}

func hogBlank(w, h int) *imagefmt.RGB {
	return &imagefmt.RGB{Width: w, Height: h, Pix: make([]byte, 3*w*h)}
}

func hogCrop(src *imagefmt.RGB, x0, y0, w, h int) *imagefmt.RGB {
	img := hogBlank(w, h)
	for y := range h {
		copy(img.Pix[3*y*w:3*(y+1)*w], src.Pix[3*((y0+y)*src.Width+x0):])
	}
	return img
}

// hogScale resizes by nearest neighbour (any pixels will do).
func hogScale(src *imagefmt.RGB, w, h int) *imagefmt.RGB {
	img := hogBlank(w, h)
	for y := range h {
		sy := y * src.Height / h
		for x := range w {
			sx := x * src.Width / w
			copy(img.Pix[3*(y*w+x):3*(y*w+x)+3], src.Pix[3*(sy*src.Width+sx):])
		}
	}
	return img
}
