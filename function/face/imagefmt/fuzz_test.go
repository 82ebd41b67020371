package imagefmt

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/facevec/facevec/fixtures/exif"
)

// fuzzLimits keeps FuzzDecode from allocating more than a few tens of MB
// per input, as the Lambda's MAX_PIXELS would in production.
var fuzzLimits = Limits{MaxBytes: 8 << 20, MaxPixels: 4 << 20}

// addSeeds adds the committed small images as extra seeds (the corpus in
// testdata/fuzz/<target> is added by the fuzzing engine itself).
func addSeeds(f *testing.F) {
	f.Helper()
	for _, n := range []string{"lossy.webp", "alpha.webp", "odd.webp", "orient6.webp", "animated.webp",
		"cmyk.jpg", "ycck.jpg", "exiftool8.jpg", "progressive.jpg", "orient3.tiff", "grid.heic"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzReadHeader: header parsing never panics, errors always carry a
// result code, and a header that parses is self-consistent.
func FuzzReadHeader(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHeader(data)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("error without a result code: %v", err)
			}
			if h != (Header{}) {
				t.Fatalf("header %+v returned with error %v", h, err)
			}
			return
		}
		if sf, err := Sniff(data); err != nil || sf != h.Format {
			t.Fatalf("ReadHeader says %q, Sniff says %q (%v)", h.Format, sf, err)
		}
		if !h.Format.Supported() || h.Width < 0 || h.Height < 0 || h.Orientation < 1 || h.Orientation > 8 {
			t.Fatalf("implausible header %+v", h)
		}
		if err := fuzzLimits.Check(int64(len(data)), h); err != nil && !isSentinel(err) {
			t.Fatalf("Check error without a result code: %v", err)
		}
	})
}

// FuzzOrientation: EXIF parsing never panics and always yields 1..8, for
// every container; WithOrientation either refuses or writes a tag that
// reads back.
func FuzzOrientation(f *testing.F) {
	addSeeds(f)
	f.Add(exif.TIFF(binary.BigEndian, 6))
	f.Add(exif.TIFF(binary.LittleEndian, 3))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range append([]Format{""}, Formats...) {
			if o := Orientation(data, fm); o < 1 || o > 8 {
				t.Fatalf("Orientation(%q) = %d", fm, o)
			}
		}
		if o := exifOrientation(data); o < 1 || o > 8 {
			t.Fatalf("exifOrientation = %d", o)
		}
		out, err := exif.WithOrientation(data, 6)
		if err != nil {
			return
		}
		if o := Orientation(out, JPEG); o != 6 {
			t.Fatalf("exif.WithOrientation(6) reads back %d", o)
		}
	})
}

// FuzzDecode: anything that passes ReadHeader and Check decodes without a
// panic (not even a recovered one) to an image of exactly the header's
// size, or fails with a result code.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHeader(data)
		if err != nil {
			return
		}
		if err := fuzzLimits.Check(int64(len(data)), h); err != nil {
			return
		}
		im, err := Decode(data, h.Format)
		if err != nil {
			var p *DecoderPanicError
			if errors.As(err, &p) {
				t.Fatalf("decoder panicked: %v", err)
			}
			if !isSentinel(err) {
				t.Fatalf("error without a result code: %v", err)
			}
			return
		}
		if !im.Valid() || im.Width != h.Width || im.Height != h.Height {
			t.Fatalf("decoded %dx%d (%d bytes), header says %dx%d", im.Width, im.Height, len(im.Pix), h.Width, h.Height)
		}
		up := im.Upright(h.Orientation)
		if w, ht := h.UprightSize(); up.Width != w || up.Height != ht || !up.Valid() {
			t.Fatalf("upright %dx%d, want %dx%d", up.Width, up.Height, w, ht)
		}
	})
}
