//go:build e2e

package reliability

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	xdraw "golang.org/x/image/draw"

	"github.com/facevec/facevec/fixtures"
)

// fixture reads a file of the fixtures directory (path relative to it).
func fixture(t *testing.T, rel string) []byte {
	t.Helper()
	dir, err := fixtures.Dir()
	if err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("fixture %s: %v", rel, err)
	}
	return b
}

// withPNGText returns png with a tEXt chunk inserted after IHDR. The
// pixels stay the same; the bytes (and so the ETag) change, and text is a
// marker that exists only inside the uploaded object.
func withPNGText(t *testing.T, png []byte, keyword, text string) []byte {
	t.Helper()
	const sigLen, ihdrLen = 8, 8 + 13 + 4
	if len(png) < sigLen+ihdrLen || string(png[12:16]) != "IHDR" {
		t.Fatal("withPNGText: not a PNG with IHDR first")
	}
	data := append([]byte(keyword+"\x00"), text...)
	var chunk bytes.Buffer
	_ = binary.Write(&chunk, binary.BigEndian, uint32(len(data)))
	typed := append([]byte("tEXt"), data...)
	chunk.Write(typed)
	_ = binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(typed))

	at := sigLen + ihdrLen
	out := make([]byte, 0, len(png)+chunk.Len())
	out = append(out, png[:at]...)
	out = append(out, chunk.Bytes()...)
	return append(out, png[at:]...)
}

// animatedGIF is a two-frame GIF: the first frame is the hopper fixture
// (one face), the second a flat grey frame with no face. Only a decoder
// that takes the first frame finds the face.
func animatedGIF(t *testing.T) []byte {
	t.Helper()
	src, err := gif.DecodeAll(bytes.NewReader(fixture(t, "formats/hopper.gif")))
	if err != nil {
		t.Fatalf("decode formats/hopper.gif: %v", err)
	}
	first := src.Image[0]
	blank := image.NewPaletted(first.Bounds(), first.Palette)
	grey := uint8(first.Palette.Index(color.Gray{Y: 128}))
	for i := range blank.Pix {
		blank.Pix[i] = grey
	}
	anim := &gif.GIF{
		Image:     []*image.Paletted{first, blank},
		Delay:     []int{50, 50},
		Disposal:  []byte{gif.DisposalNone, gif.DisposalNone},
		LoopCount: 0,
		Config:    image.Config{ColorModel: first.Palette, Width: first.Bounds().Dx(), Height: first.Bounds().Dy()},
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, anim); err != nil {
		t.Fatalf("encode animated GIF: %v", err)
	}
	return b.Bytes()
}

// largePhoto is a w×h JPEG with the Grace Hopper portrait scaled to
// faceSide pixels high in the middle of a textured background: a large
// camera-sized image whose encoding takes seconds, with one face in it.
func largePhoto(t *testing.T, w, h, faceSide int) []byte {
	t.Helper()
	portrait, err := jpeg.Decode(bytes.NewReader(fixture(t, "people/grace hopper.jpg")))
	if err != nil {
		t.Fatalf("decode portrait: %v", err)
	}
	canvas := image.NewRGBA(image.Rect(0, 0, w, h))
	// A smooth gradient with a little texture: cheap to make, and it gives
	// the detector something to look at everywhere.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8((x*3 + y*5 + (x^y)&15) & 0xff)
			canvas.Pix[y*canvas.Stride+x*4+0] = v
			canvas.Pix[y*canvas.Stride+x*4+1] = v / 2
			canvas.Pix[y*canvas.Stride+x*4+2] = 255 - v
			canvas.Pix[y*canvas.Stride+x*4+3] = 255
		}
	}
	pb := portrait.Bounds()
	fw := faceSide * pb.Dx() / pb.Dy()
	dst := image.Rect((w-fw)/2, (h-faceSide)/2, (w-fw)/2+fw, (h-faceSide)/2+faceSide)
	xdraw.ApproxBiLinear.Scale(canvas, dst, portrait, pb, draw.Src, nil)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, canvas, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatalf("encode %dx%d JPEG: %v", w, h, err)
	}
	return b.Bytes()
}

// sloppyJPEG is grace hopper.jpg with three stray bytes in its header, as
// careless tools leave: libjpeg decodes it whole and warns.
func sloppyJPEG(t *testing.T) []byte {
	t.Helper()
	b, err := fixtures.SloppyJPEG(fixture(t, "people/grace hopper.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// strayMarkerJPEG is a valid JPEG whose entropy-coded data has a bogus
// marker (FF 92) in the middle, as a bit flip in transit would make:
// libjpeg ends the scan early and then refuses the marker.
func strayMarkerJPEG(t *testing.T) []byte {
	t.Helper()
	b := bytes.Clone(fixture(t, "people/hopper-crop.jpg"))
	sos := bytes.Index(b, []byte{0xff, 0xda})
	if sos < 0 {
		t.Fatal("people/hopper-crop.jpg has no SOS marker")
	}
	mid := (sos + len(b)) / 2
	b[mid], b[mid+1] = 0xff, 0x92
	return b
}
