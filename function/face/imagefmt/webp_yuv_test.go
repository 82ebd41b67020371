package imagefmt

import (
	"bytes"
	"fmt"
	"testing"
)

// readPPM parses the binary PPM (P6, maxval 255) that dwebp -ppm writes.
func readPPM(t *testing.T, b []byte) *RGB {
	t.Helper()
	var w, h, maxv int
	n, err := fmt.Fscanf(bytes.NewReader(b), "P6\n%d %d\n%d\n", &w, &h, &maxv)
	if err != nil || n != 3 || maxv != 255 {
		t.Fatalf("not a P6 PPM: %v", err)
	}
	hdr := len(fmt.Sprintf("P6\n%d %d\n%d\n", w, h, maxv))
	if len(b)-hdr != 3*w*h {
		t.Fatalf("PPM has %d pixel bytes for %dx%d", len(b)-hdr, w, h)
	}
	return &RGB{Pix: b[hdr:], Width: w, Height: h}
}

// Lossy WebP must decode to exactly what libwebp's dwebp produces (the
// reference files were written by dwebp 1.2.4 with default options, the
// same fancy upsampling Pillow gets).
func TestDecodeWebPMatchesLibwebp(t *testing.T) {
	for _, name := range []string{"lossy.webp", "alpha.webp", "odd.webp"} {
		t.Run(name, func(t *testing.T) {
			want := readPPM(t, readTestdata(t, name+".dwebp.ppm"))
			got, err := Decode(readTestdata(t, name), WebP)
			if err != nil {
				t.Fatal(err)
			}
			if got.Width != want.Width || got.Height != want.Height {
				t.Fatalf("size %dx%d, libwebp %dx%d", got.Width, got.Height, want.Width, want.Height)
			}
			diffs := 0
			for i := range got.Pix {
				if got.Pix[i] != want.Pix[i] {
					if diffs < 5 {
						px := i / 3
						t.Errorf("pixel (%d,%d) channel %d: got %d, libwebp %d",
							px%got.Width, px/got.Width, i%3, got.Pix[i], want.Pix[i])
					}
					diffs++
				}
			}
			if diffs > 0 {
				t.Fatalf("%d of %d samples differ from libwebp", diffs, len(got.Pix))
			}
		})
	}
}

func TestVP8YUVToRGBRange(t *testing.T) {
	// Limited range: Y=16 is black, Y=235 white, neutral chroma is grey.
	for _, tc := range []struct{ y, u, v, r, g, b uint8 }{
		{16, 128, 128, 0, 0, 0},
		{235, 128, 128, 255, 255, 255},
		{0, 128, 128, 0, 0, 0},
		{255, 128, 128, 255, 255, 255},
	} {
		var px [3]byte
		vp8YUVToRGB(tc.y, tc.u, tc.v, px[:])
		if px != [3]byte{tc.r, tc.g, tc.b} {
			t.Errorf("YUV(%d,%d,%d) = %v, want %d,%d,%d", tc.y, tc.u, tc.v, px, tc.r, tc.g, tc.b)
		}
	}
}
