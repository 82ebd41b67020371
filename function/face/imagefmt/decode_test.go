package imagefmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"strings"
	"testing"

	"golang.org/x/image/tiff"

	"github.com/facevec/facevec/fixtures/exif"
	"github.com/facevec/facevec/result"
)

// premultipliedGrid is the grid with alpha 0xc0 on its left half as an
// *image.RGBA (what TIFF with associated alpha decodes to). Dividing the
// alpha back out loses at most a level or two of precision.
func premultipliedGrid() *image.RGBA {
	n := gridImage(gridW, gridH)
	for y := range gridH {
		for x := range gridW / 2 {
			n.Pix[n.PixOffset(x, y)+3] = 0xc0
		}
	}
	m := image.NewRGBA(n.Rect)
	for y := range gridH {
		for x := range gridW {
			m.Set(x, y, n.At(x, y))
		}
	}
	return m
}

func TestDecodeFormats(t *testing.T) {
	grid := gridImage(gridW, gridH)
	tests := []struct {
		name string
		data []byte
		tol  int // per-channel tolerance on block centres
		gray bool
	}{
		{"png rgb", encodePNG(t, grid), 0, false},
		{"png rgba (alpha dropped, straight colour)", encodePNG(t, translucentGrid()), 0, false},
		{"png paletted", encodePNG(t, palettedGrid()), 0, false},
		{"png rgb16 (high byte)", encodePNG(t, wide16(grid, true)), 0, false},
		{"png rgba16 (high byte, straight)", encodePNG(t, wide16(translucentGrid(), false)), 0, false},
		{"png gray", encodePNG(t, grayGrid()), 0, true},
		{"png gray16 (high byte)", encodePNG(t, gray16Grid()), 0, true},
		{"jpeg ycbcr 4:2:0", encodeJPEG(t, grid, 95), 12, false},
		{"jpeg gray", encodeJPEG(t, grayGrid(), 95), 4, true},
		{"jpeg progressive (ImageMagick)", readTestdata(t, "progressive.jpg"), 12, false},
		{"jpeg cmyk (Pillow)", readTestdata(t, "cmyk.jpg"), 16, false},
		{"jpeg ycck (ImageMagick)", readTestdata(t, "ycck.jpg"), 16, false},
		{"gif", encodeGIF(t, palettedGrid()), 0, false},
		{"webp lossy", readTestdata(t, "lossy.webp"), 12, false},
		{"webp lossless", readTestdata(t, "lossless.webp"), 0, false},
		{"webp with alpha (straight colour)", readTestdata(t, "alpha.webp"), 12, false},
		{"bmp 24-bit", encodeBMP(t, grid), 0, false},
		{"bmp 32-bit with alpha", encodeBMP(t, translucentGrid()), 0, false},
		{"bmp paletted", encodeBMP(t, palettedGrid()), 0, false},
		{"bmp gray", encodeBMP(t, grayGrid()), 0, true},
		{"tiff nrgba", encodeTIFF(t, translucentGrid(), tiff.Uncompressed), 0, false},
		{"tiff rgba premultiplied", encodeTIFF(t, premultipliedGrid(), tiff.Deflate), 2, false},
		{"tiff gray", encodeTIFF(t, grayGrid(), tiff.Deflate), 0, true},
		{"tiff gray16", encodeTIFF(t, gray16Grid(), tiff.Uncompressed), 0, true},
		{"tiff rgba64", encodeTIFF(t, wide16(grid, true), tiff.Deflate), 0, false},
		{"tiff paletted", encodeTIFF(t, palettedGrid(), tiff.Uncompressed), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Sniff(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			im, err := Decode(tt.data, f)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !im.Valid() {
				t.Fatalf("invalid RGB: %dx%d, %d bytes", im.Width, im.Height, len(im.Pix))
			}
			if tt.gray {
				checkGrayGrid(t, im, tt.tol)
			} else {
				checkGrid(t, im, tt.tol)
			}
			// Sniffing inside Decode gives the same result.
			again, err := Decode(tt.data, "")
			if err != nil || !bytes.Equal(again.Pix, im.Pix) {
				t.Errorf("Decode with sniffing differs (%v)", err)
			}
		})
	}
}

func checkGrayGrid(t *testing.T, im *RGB, tol int) {
	t.Helper()
	g := grayGrid()
	for by := range 3 {
		for bx := range 4 {
			x, y := bx*8+4, by*8+4
			want := g.GrayAt(x, y).Y
			r, gg, b := im.RGBAt(x, y)
			if absDiff(r, want) > tol || r != gg || gg != b {
				t.Errorf("block (%d,%d): got %d,%d,%d, want gray %d (±%d)", bx, by, r, gg, b, want, tol)
			}
		}
	}
}

// The first frame of an animated GIF is used, placed on the logical
// screen; the uncovered part is the background colour.
func TestDecodeGIFFirstFrame(t *testing.T) {
	pal := color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}, color.RGBA{0, 200, 0, 255}}
	first := image.NewPaletted(image.Rect(8, 4, 24, 12), pal) // red, offset inside the screen
	for i := range first.Pix {
		first.Pix[i] = 1
	}
	second := image.NewPaletted(image.Rect(0, 0, 32, 24), pal) // all blue
	for i := range second.Pix {
		second.Pix[i] = 2
	}
	var b bytes.Buffer
	err := gif.EncodeAll(&b, &gif.GIF{
		Image:           []*image.Paletted{first, second},
		Delay:           []int{10, 10},
		Config:          image.Config{ColorModel: pal, Width: 32, Height: 24},
		BackgroundIndex: 3, // green
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(b.Bytes())
	if err != nil || h.Width != 32 || h.Height != 24 {
		t.Fatalf("ReadHeader = %+v, %v", h, err)
	}
	im, err := Decode(b.Bytes(), GIF)
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 32 || im.Height != 24 {
		t.Fatalf("size %dx%d, want the 32x24 screen", im.Width, im.Height)
	}
	for y := range 24 {
		for x := range 32 {
			want := [3]uint8{0, 200, 0}
			if image.Pt(x, y).In(first.Rect) {
				want = [3]uint8{255, 0, 0}
			}
			if r, g, bl := im.RGBAt(x, y); [3]uint8{r, g, bl} != want {
				t.Fatalf("(%d,%d) = %d,%d,%d, want %v", x, y, r, g, bl, want)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	grid := gridImage(gridW, gridH)
	jpg := encodeJPEG(t, grid, 90)
	pngb := encodePNG(t, grid)
	corruptIDAT := append([]byte{}, pngb...)
	idat := bytes.Index(corruptIDAT, []byte("IDAT"))
	corruptIDAT[idat+10] ^= 0x55
	twelveBit := setSOF(t, jpg, func(p []byte) { p[0] = 12 })
	arithmetic := append([]byte{}, jpg...)
	arithmetic[bytes.Index(arithmetic, []byte{0xff, 0xc0})+1] = 0xc9 // SOF9: arithmetic coding
	tiffJPEG := encodeTIFF(t, grid, tiff.Uncompressed)
	setTIFFTag(t, tiffJPEG, 259, 7) // Compression = JPEG

	tests := []struct {
		name string
		data []byte
		f    Format
		code result.Code
		msg  string
	}{
		{"empty", nil, "", result.CodeDecodeFailed, "file is empty (0 bytes)"},
		{"text", []byte("just some words, no picture\n"), "", result.CodeUnsupportedFormat, "not an image: looks like text"},
		{"jpeg cut in the scan", jpg[:len(jpg)*2/3], JPEG, result.CodeDecodeFailed, "truncated JPEG"},
		{"png cut in IDAT", pngb[:idat+20], PNG, result.CodeDecodeFailed, "truncated PNG"},
		{"png corrupt IDAT", corruptIDAT, PNG, result.CodeDecodeFailed, "corrupt PNG image data"},
		{"gif cut", encodeGIF(t, palettedGrid())[:60], GIF, result.CodeDecodeFailed, "GIF"},
		{"webp cut", readTestdata(t, "lossless.webp")[:60], WebP, result.CodeDecodeFailed, "WebP"},
		{"webp animated", readTestdata(t, "animated.webp"), WebP, result.CodeUnsupportedFormat, "animated WebP images are not supported; convert to JPEG or PNG"},
		{"bmp cut", encodeBMP(t, grid)[:100], BMP, result.CodeDecodeFailed, "truncated BMP"},
		{"tiff cut", encodeTIFF(t, grid, tiff.Uncompressed)[:200], TIFF, result.CodeDecodeFailed, "TIFF"},
		{"tiff with JPEG compression", tiffJPEG, TIFF, result.CodeUnsupportedFormat, "unsupported TIFF variant"},
		{"jpeg 12-bit", twelveBit, JPEG, result.CodeUnsupportedFormat, "unsupported JPEG variant (unsupported JPEG feature: precision); re-save it as a standard 8-bit JPEG or as PNG"},
		{"jpeg arithmetic", arithmetic, JPEG, result.CodeUnsupportedFormat, "unsupported JPEG variant"},
		{"format says jpeg, data is png", pngb, JPEG, result.CodeDecodeFailed, "file is PNG, not JPEG"},
		{"unsupported format value", jpg, Format("heic"), result.CodeUnsupportedFormat, "heic is not a supported format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, err := Decode(tt.data, tt.f)
			wantCode(t, err, tt.code)
			if im != nil {
				t.Error("image returned with an error")
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err, tt.msg)
			}
		})
	}
	// The unsupported variants still have a readable header.
	for _, d := range [][]byte{twelveBit, arithmetic} {
		if h, err := ReadHeader(d); err != nil || h.Width != gridW {
			t.Errorf("ReadHeader of an unsupported JPEG variant = %+v, %v", h, err)
		}
	}
	if h, _ := ReadHeader(twelveBit); h.BitDepth != 12 {
		t.Errorf("12-bit JPEG BitDepth = %d", h.BitDepth)
	}
}

// setTIFFTag overwrites the SHORT value of a tag in IFD0 of a
// little-endian TIFF in place.
func setTIFFTag(t *testing.T, b []byte, tag, v uint16) {
	t.Helper()
	ifd := binary.LittleEndian.Uint32(b[4:])
	n := binary.LittleEndian.Uint16(b[ifd:])
	for i := range uint32(n) {
		e := ifd + 2 + 12*i
		if binary.LittleEndian.Uint16(b[e:]) == tag {
			binary.LittleEndian.PutUint16(b[e+8:], v)
			return
		}
	}
	t.Fatalf("tag %d not in IFD0", tag)
}

// A JPEG whose marker walk and Go's disagree on the frame must not pass:
// here the first frame header is SOF3 (lossless, which Go refuses) and a
// second, much larger SOF0 follows.
func TestDecodeFrameMismatchRefused(t *testing.T) {
	jpg := encodeJPEG(t, gridImage(gridW, gridH), 90)
	sof := bytes.Index(jpg, []byte{0xff, 0xc0})
	lossless := []byte{0xff, 0xc3, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0}
	d := append(append(append([]byte{}, jpg[:sof]...), lossless...), jpg[sof:]...)
	h, err := ReadHeader(d)
	if err != nil || h.Width != 1 || h.Height != 1 {
		t.Fatalf("ReadHeader = %+v, %v; want the first frame, 1x1", h, err)
	}
	if _, err := Decode(d, JPEG); err == nil {
		t.Fatal("Decode accepted a JPEG whose frames disagree")
	} else if !isSentinel(err) {
		t.Fatalf("error %v wraps no sentinel", err)
	}
}

func TestLoad(t *testing.T) {
	up := gridImage(gridW, gridH)
	for o := 1; o <= 8; o++ {
		st := stored(ToRGB(up), o)
		jpg, err := exif.WithOrientation(encodeJPEG(t, st, 95), o)
		if err != nil {
			t.Fatal(err)
		}
		ld, err := Load(jpg, Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20}, nil)
		im, h := ld.Image, ld.Header
		if err != nil {
			t.Fatalf("o=%d: Load: %v", o, err)
		}
		if h.Orientation != o || h.Width != st.Width || h.Height != st.Height {
			t.Errorf("o=%d: header %+v", o, h)
		}
		checkGrid(t, im, 12)
	}
	// exiftool's own orientation-8 file displays as the grid turned a
	// quarter: stored is the grid itself, so upright is the grid rotated CCW.
	ld, err := Load(readTestdata(t, "exiftool8.jpg"), Limits{}, nil)
	im, h := ld.Image, ld.Header
	if err != nil {
		t.Fatal(err)
	}
	if h.Orientation != 8 || im.Width != gridH || im.Height != gridW {
		t.Fatalf("exiftool8.jpg: header %+v, image %dx%d", h, im.Width, im.Height)
	}
	back := im.Upright(6) // rotating CW undoes the CCW display rotation
	checkGrid(t, back, 12)

	_, err = Load(encodePNG(t, gridImage(2000, 2000)), Limits{MaxPixels: 1_000_000}, nil)
	wantCode(t, err, result.CodeTooLarge)
	if !strings.Contains(err.Error(), "image is 2000x2000 (4.0 MP), over the limit of 1.0 MP") {
		t.Errorf("message %q", err)
	}
	_, err = Load([]byte{}, Limits{}, nil)
	wantCode(t, err, result.CodeDecodeFailed)
}

func TestDecoderPanicError(t *testing.T) {
	err := error(&DecoderPanicError{Format: TIFF, Value: "index out of range"})
	if !errors.Is(err, result.ErrDecodeFailed) || result.CodeOf(err) != result.CodeDecodeFailed {
		t.Fatalf("%v does not map to decode_failed", err)
	}
	if want := "corrupt TIFF image data: the decoder failed (index out of range)"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
}
