package dlib

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// groupPhoto pastes fixture portraits at very different scales into one
// canvas: one face about 330 px wide, whose chip dlib cuts from an image
// pyramid, and smaller ones above and to the left of it at odd offsets.
// Extracting all chips at once, dlib builds that pyramid over the faces'
// joint bounding box, so the large face's chip (and vector) would depend
// on where the others are.
func groupPhoto(t *testing.T) []byte {
	t.Helper()
	canvas := image.NewRGBA(image.Rect(0, 0, 1400, 980))
	xdraw.Draw(canvas, canvas.Bounds(), &image.Uniform{color.RGBA{118, 121, 115, 255}}, image.Point{}, xdraw.Src)
	paste := func(rel string, scale float64, at image.Point) {
		f, err := os.Open(filepath.Join("..", "..", "..", "fixtures", rel))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		src, err := jpeg.Decode(f)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		b := src.Bounds()
		dst := image.Rect(0, 0, int(math.Round(float64(b.Dx())*scale)), int(math.Round(float64(b.Dy())*scale))).Add(at)
		xdraw.CatmullRom.Scale(canvas, dst, src, b, xdraw.Src, nil)
	}
	paste("people/hopper-crop.jpg", 1.8, image.Point{X: 613, Y: 211})
	paste("people/collins-half.jpg", 1, image.Point{X: 3, Y: 7})
	paste("people/hopper-half.jpg", 0.9, image.Point{X: 301, Y: 35})
	paste("people/collins-crop.jpg", 1.3, image.Point{X: 97, Y: 651})
	var buf bytes.Buffer
	if err := png.Encode(&buf, canvas); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEveryFaceAsIfAlone holds each face of a group photo to the vector
// dlib's one-face computation gives (face_recognition's
// compute_face_descriptor: that face's chip extracted alone, one forward
// pass), bit for bit, with and without jitter: a face's vector must not
// depend on who else is in the picture.
func TestEveryFaceAsIfAlone(t *testing.T) {
	e := testEncoder(t)
	photos := map[string][]byte{
		"generated group": groupPhoto(t),
		"équipe 4":        fixtureBytes(t, "group/équipe 4.jpg"),
	}
	if dir := os.Getenv("FACEVEC_EXTRA_FIXTURES"); dir != "" {
		for _, name := range []string{"obama_and_biden.jpg", "two_people.jpg"} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				photos[name] = b
			}
		}
	}
	w := <-e.idle
	defer func() { e.idle <- w }()
	pyramidFaces := 0
	for name, data := range photos {
		img, _, rects, shapes := findFaces(t, w, name, data)
		if len(rects) < 2 {
			t.Fatalf("%s: %d faces, want a group", name, len(rects))
		}
		for _, r := range rects {
			// dlib cuts a chip from a pyramid level once half its source
			// square (a little wider than the box) is larger than the
			// 150 px chip: for boxes from about 250 px.
			if r.Right-r.Left >= 250 {
				pyramidFaces++
			}
		}
		t.Logf("%s: %d faces: %+v", name, len(rects), rects)
		for _, jitter := range []int{0, 3} {
			all, err := w.net.describe(img.Pix, img.Width, img.Height, rects, shapes, jitter)
			if err != nil {
				t.Fatalf("%s: describe: %v", name, err)
			}
			for i := range rects {
				alone, err := w.net.describe(img.Pix, img.Width, img.Height, rects[i:i+1], shapes[i:i+1], jitter)
				if err != nil {
					t.Fatalf("%s: describe face %d alone: %v", name, i, err)
				}
				if d := maxAbsDiff(all[i], alone[0]); d != 0 {
					t.Errorf("%s, jitter %d: face %d at %+v is %.3g (max per value) from its one-face vector",
						name, jitter, i, rects[i], d)
				}
			}
		}
	}
	if pyramidFaces == 0 {
		t.Fatal("no face large enough for dlib's chip pyramid: the test would not see a shared pyramid")
	}
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}
