package imagefmt

import (
	"bytes"
	"image"
	"image/draw"
	"image/gif"
	"testing"

	"golang.org/x/image/tiff"

	"github.com/facevec/facevec/fixtures/exif"
)

// BenchmarkDecode decodes a ~1 MP (1024x1024) photo-like image per format,
// through Decode (decoder + conversion to RGB). Setup encodes the image
// with Go's encoders; WebP, which Go cannot encode, uses the committed
// testdata/photo1mp.webp made by cwebp from the same picture.
func BenchmarkDecode(b *testing.B) {
	const side = 1024
	photo := photoImage(side, side)
	gray := image.NewGray(photo.Rect)
	draw.Draw(gray, gray.Rect, photo, image.Point{}, draw.Src)
	pal := image.NewPaletted(photo.Rect, palettedGrid().Palette)
	draw.FloydSteinberg.Draw(pal, pal.Rect, photo, image.Point{})
	var gb bytes.Buffer
	if err := gif.Encode(&gb, pal, nil); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"jpeg", encodeJPEG(b, photo, 90)},
		{"jpeg-gray", encodeJPEG(b, gray, 90)},
		{"png", encodePNG(b, photo)},
		{"png-16bit", encodePNG(b, wide16(photo, false))},
		{"gif", gb.Bytes()},
		{"webp-lossy", readTestdata(b, "photo1mp.webp")},
		{"bmp", encodeBMP(b, photo)},
		{"tiff-deflate", encodeTIFF(b, photo, tiff.Deflate)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h, err := ReadHeader(c.data)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(3 * h.Pixels()) // throughput in RGB output bytes
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(c.data, h.Format); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadHeader is what every object pays before the size check.
func BenchmarkReadHeader(b *testing.B) {
	jpg, err := exif.WithOrientation(encodeJPEG(b, photoImage(256, 256), 90), 6)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadHeader(jpg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpright turns a 12 MP camera frame (4000x3000).
func BenchmarkUpright(b *testing.B) {
	im := ToRGB(photoImage(4000, 3000))
	for _, o := range []int{3, 6, 8} {
		b.Run("o="+string(rune('0'+o)), func(b *testing.B) {
			b.SetBytes(int64(len(im.Pix)))
			for b.Loop() {
				_ = im.Upright(o)
			}
		})
	}
}

// BenchmarkToRGB converts a 12 MP 4:2:0 YCbCr (a decoded camera JPEG).
func BenchmarkToRGB(b *testing.B) {
	m := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range m.Y {
		m.Y[i] = byte(i)
	}
	b.SetBytes(3 * 4000 * 3000)
	for b.Loop() {
		_ = ToRGB(m)
	}
}
