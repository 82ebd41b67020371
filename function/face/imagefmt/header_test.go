package imagefmt

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/facevec/facevec/fixtures/exif"
	"github.com/facevec/facevec/result"
)

// Images of every colour model the Go encoders can write, shared by the
// header and decode tests.
func grayGrid() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, gridW, gridH))
	for y := range gridH {
		for x := range gridW {
			g.Set(x, y, gridImage(gridW, gridH).At(x, y))
		}
	}
	return g
}

// gray16Grid stores grid gray levels in the high byte and 0xAB in the low
// byte, so a decoder that rounds instead of taking the high byte shows.
func gray16Grid() *image.Gray16 {
	g8 := grayGrid()
	g := image.NewGray16(g8.Rect)
	for i, v := range g8.Pix {
		g.Pix[2*i], g.Pix[2*i+1] = v, 0xab
	}
	return g
}

func palettedGrid() *image.Paletted {
	pal := make(color.Palette, len(gridColors))
	for i, c := range gridColors {
		pal[i] = c
	}
	p := image.NewPaletted(image.Rect(0, 0, gridW, gridH), pal)
	for y := range gridH {
		for x := range gridW {
			p.SetColorIndex(x, y, uint8((y*3/gridH)*4+x*4/gridW))
		}
	}
	return p
}

// translucentGrid is the grid with alpha 0x40 on the left half and 0 (fully
// transparent) on the right quarter: straight colours must survive.
func translucentGrid() *image.NRGBA {
	m := gridImage(gridW, gridH)
	for y := range gridH {
		for x := range gridW {
			a := uint8(0xff)
			if x < gridW/2 {
				a = 0x40
			} else if x >= 3*gridW/4 {
				a = 0
			}
			m.Pix[m.PixOffset(x, y)+3] = a
		}
	}
	return m
}

// wide16 converts the grid to 16 bits with 0xAB low bytes.
func wide16(m *image.NRGBA, premultiplied bool) image.Image {
	if premultiplied {
		out := image.NewRGBA64(m.Rect)
		for i := 0; i < len(m.Pix); i += 4 {
			for c := range 4 {
				out.Pix[2*i+2*c], out.Pix[2*i+2*c+1] = m.Pix[i+c], 0xab
			}
			out.Pix[2*i+7] = 0xff // opaque: alpha 0xffff
		}
		return out
	}
	out := image.NewNRGBA64(m.Rect)
	for i := 0; i < len(m.Pix); i += 4 {
		for c := range 4 {
			out.Pix[2*i+2*c], out.Pix[2*i+2*c+1] = m.Pix[i+c], 0xab
		}
	}
	return out
}

func encodeGIF(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, img, &gif.Options{NumColors: 256, Quantizer: nil}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeBMP(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := bmp.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeTIFF(t testing.TB, img image.Image, c tiff.CompressionType) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tiff.Encode(&b, img, &tiff.Options{Compression: c}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadHeader(t *testing.T) {
	grid := gridImage(gridW, gridH)
	opaque16 := wide16(grid, true)
	tests := []struct {
		name  string
		data  []byte
		want  Header
		uprWH [2]int
	}{
		{"png rgb", encodePNG(t, grid), Header{PNG, gridW, gridH, 1, 8, ColorRGB, false}, [2]int{gridW, gridH}},
		{"png rgba", encodePNG(t, translucentGrid()), Header{PNG, gridW, gridH, 1, 8, ColorRGBA, false}, [2]int{gridW, gridH}},
		{"png gray", encodePNG(t, grayGrid()), Header{PNG, gridW, gridH, 1, 8, ColorGray, false}, [2]int{gridW, gridH}},
		{"png gray16", encodePNG(t, gray16Grid()), Header{PNG, gridW, gridH, 1, 16, ColorGray, false}, [2]int{gridW, gridH}},
		{"png paletted 4-bit", encodePNG(t, palettedGrid()), Header{PNG, gridW, gridH, 1, 4, ColorPaletted, false}, [2]int{gridW, gridH}},
		{"png rgb16", encodePNG(t, opaque16), Header{PNG, gridW, gridH, 1, 16, ColorRGB, false}, [2]int{gridW, gridH}},
		{"png rgba16", encodePNG(t, wide16(translucentGrid(), false)), Header{PNG, gridW, gridH, 1, 16, ColorRGBA, false}, [2]int{gridW, gridH}},
		{"png eXIf orientation 6", pngWithChunk(t, encodePNG(t, grid), "eXIf", exif.TIFF(binary.LittleEndian, 6)), Header{PNG, gridW, gridH, 6, 8, ColorRGB, false}, [2]int{gridH, gridW}},
		{"jpeg ycbcr", encodeJPEG(t, grid, 90), Header{JPEG, gridW, gridH, 1, 8, ColorYCbCr, false}, [2]int{gridW, gridH}},
		{"jpeg gray", encodeJPEG(t, grayGrid(), 90), Header{JPEG, gridW, gridH, 1, 8, ColorGray, false}, [2]int{gridW, gridH}},
		{"jpeg progressive", readTestdata(t, "progressive.jpg"), Header{JPEG, gridW, gridH, 1, 8, ColorYCbCr, false}, [2]int{gridW, gridH}},
		{"jpeg cmyk (Pillow)", readTestdata(t, "cmyk.jpg"), Header{JPEG, gridW, gridH, 1, 8, ColorCMYK, false}, [2]int{gridW, gridH}},
		{"jpeg ycck (ImageMagick)", readTestdata(t, "ycck.jpg"), Header{JPEG, gridW, gridH, 1, 8, ColorYCCK, false}, [2]int{gridW, gridH}},
		{"jpeg exiftool orientation 8", readTestdata(t, "exiftool8.jpg"), Header{JPEG, gridW, gridH, 8, 8, ColorYCbCr, false}, [2]int{gridH, gridW}},
		{"gif", encodeGIF(t, palettedGrid()), Header{GIF, gridW, gridH, 1, 8, ColorPaletted, false}, [2]int{gridW, gridH}},
		{"webp lossy", readTestdata(t, "lossy.webp"), Header{WebP, gridW, gridH, 1, 8, ColorYCbCr, false}, [2]int{gridW, gridH}},
		{"webp lossless", readTestdata(t, "lossless.webp"), Header{WebP, gridW, gridH, 1, 8, ColorRGBA, false}, [2]int{gridW, gridH}},
		{"webp alpha", readTestdata(t, "alpha.webp"), Header{WebP, gridW, gridH, 1, 8, ColorYCbCrA, false}, [2]int{gridW, gridH}},
		{"webp EXIF orientation 6", readTestdata(t, "orient6.webp"), Header{WebP, gridW, gridH, 6, 8, ColorYCbCr, false}, [2]int{gridH, gridW}},
		{"bmp 24-bit", encodeBMP(t, grid), Header{BMP, gridW, gridH, 1, 8, ColorRGB, false}, [2]int{gridW, gridH}},
		{"bmp paletted", encodeBMP(t, palettedGrid()), Header{BMP, gridW, gridH, 1, 8, ColorPaletted, false}, [2]int{gridW, gridH}},
		{"bmp gray", encodeBMP(t, grayGrid()), Header{BMP, gridW, gridH, 1, 8, ColorPaletted, false}, [2]int{gridW, gridH}},
		{"tiff rgba", encodeTIFF(t, grid, tiff.Uncompressed), Header{TIFF, gridW, gridH, 1, 8, ColorRGBA, false}, [2]int{gridW, gridH}},
		{"tiff gray16 deflate", encodeTIFF(t, gray16Grid(), tiff.Deflate), Header{TIFF, gridW, gridH, 1, 16, ColorGray, false}, [2]int{gridW, gridH}},
		{"tiff exiftool orientation 3", readTestdata(t, "orient3.tiff"), Header{TIFF, gridW, gridH, 3, 8, ColorRGBA, false}, [2]int{gridW, gridH}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ReadHeader(tt.data)
			if err != nil {
				t.Fatalf("ReadHeader: %v", err)
			}
			if h != tt.want {
				t.Fatalf("ReadHeader = %+v, want %+v", h, tt.want)
			}
			if w, ht := h.UprightSize(); w != tt.uprWH[0] || ht != tt.uprWH[1] {
				t.Errorf("UprightSize = %dx%d, want %dx%d", w, ht, tt.uprWH[0], tt.uprWH[1])
			}
		})
	}
}

func TestReadHeaderErrors(t *testing.T) {
	grid := gridImage(gridW, gridH)
	jpg := encodeJPEG(t, grid, 90)
	pngb := encodePNG(t, grid)
	badCRC := append([]byte{}, pngb...)
	badCRC[29] ^= 0xff // last byte of the IHDR CRC
	twoComp := setSOF(t, jpg, func(p []byte) { p[5] = 2 })
	bmpb := encodeBMP(t, grid)
	rle := append([]byte{}, bmpb...)
	binary.LittleEndian.PutUint32(rle[30:], 1) // BI_RLE8
	bmp16 := append([]byte{}, bmpb...)
	binary.LittleEndian.PutUint16(bmp16[28:], 16)

	tests := []struct {
		name string
		data []byte
		code result.Code
		msg  string
	}{
		{"jpeg cut inside the headers", jpg[:40], result.CodeDecodeFailed, "truncated JPEG: the file ends before the frame header"},
		{"jpeg SOI then EOI", []byte("\xff\xd8\xff\xd9" + strings.Repeat("\x00", 20)), result.CodeDecodeFailed, "corrupt JPEG header: end-of-image marker"},
		{"jpeg SOS before SOF", []byte("\xff\xd8\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + strings.Repeat("\x00", 20)), result.CodeDecodeFailed, "no frame header"},
		{"jpeg segment length 1", []byte("\xff\xd8\xff\xe0\x00\x01" + strings.Repeat("\x00", 20)), result.CodeDecodeFailed, "corrupt JPEG header: marker segment shorter"},
		{"jpeg frame header too short", []byte("\xff\xd8\xff\xc0\x00\x05\x08\x00\x10" + strings.Repeat("\x00", 20)), result.CodeDecodeFailed, "frame header is too short"},
		{"jpeg frame with no components", setSOF(t, jpg, func(p []byte) { p[5] = 0 }), result.CodeDecodeFailed, "the frame has no colour components"},
		{"jpeg with 2 components", twoComp, result.CodeUnsupportedFormat, "JPEG with 2 colour components is not supported"},
		{"png cut inside IHDR", pngb[:20], result.CodeDecodeFailed, "truncated PNG: the file ends inside the header"},
		{"png bad IHDR CRC", badCRC, result.CodeDecodeFailed, "corrupt PNG header"},
		{"png bad bit depth", pngHeaderOnly(10, 10, 7, 2), result.CodeDecodeFailed, "corrupt PNG header"},
		{"gif cut", encodeGIF(t, palettedGrid())[:9], result.CodeDecodeFailed, "truncated GIF"},
		{"webp cut", readTestdata(t, "lossy.webp")[:20], result.CodeDecodeFailed, "WebP"},
		{"bmp cut", bmpb[:30], result.CodeDecodeFailed, "truncated BMP"},
		{"bmp rle", rle, result.CodeUnsupportedFormat, "unsupported BMP variant (RLE compression)"},
		{"bmp 16-bit", bmp16, result.CodeUnsupportedFormat, "unsupported BMP variant (bit depth 16)"},
		{"tiff cut", encodeTIFF(t, grid, tiff.Uncompressed)[:6], result.CodeDecodeFailed, "TIFF"},
		{"tiff IFD offset past the end", []byte("II*\x00\xff\xff\xff\x00" + strings.Repeat("\x00", 20)), result.CodeDecodeFailed, "TIFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ReadHeader(tt.data)
			wantCode(t, err, tt.code)
			if h != (Header{}) {
				t.Errorf("header %+v returned with an error", h)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err, tt.msg)
			}
		})
	}
}

// A file cut after its frame header still has a header: the truncation is
// the decoder's to report.
func TestReadHeaderJPEGCutAfterFrame(t *testing.T) {
	jpg := encodeJPEG(t, gridImage(gridW, gridH), 90)
	sof := bytes.Index(jpg, []byte{0xff, 0xc0})
	h, err := ReadHeader(jpg[:sof+30])
	if err != nil {
		t.Fatalf("ReadHeader: %v", err)
	}
	if h.Width != gridW || h.Height != gridH {
		t.Fatalf("size %dx%d", h.Width, h.Height)
	}
	_, err = Decode(jpg[:sof+30], JPEG)
	wantCode(t, err, result.CodeDecodeFailed)
}

// setSOF returns a copy of a JPEG with its SOF0 payload edited.
func setSOF(t testing.TB, jpg []byte, edit func(payload []byte)) []byte {
	t.Helper()
	out := append([]byte{}, jpg...)
	found := false
	err := walkJPEG(out, func(s jpegSegment) bool {
		if s.Marker == 0xc0 {
			edit(out[s.End-len(s.Payload) : s.End])
			found = true
			return false
		}
		return true
	})
	if err != nil || !found {
		t.Fatalf("no SOF0 (%v)", err)
	}
	return out
}
