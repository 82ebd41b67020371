package dlib

import (
	"github.com/facevec/facevec/function/face/imagefmt"
	"github.com/facevec/facevec/result"
)

// Decode turns file bytes into an upright packed RGB image through
// imagefmt.Load (limits checked from the header before any pixel is
// allocated). JPEG goes through libjpeg as dlib's jpeg_loader calls it and
// PNG through dlib's png_loader, which keeps descriptors identical to the
// dlib/face_recognition reference (Go's image/jpeg differs by 0.02-0.10);
// CMYK/YCCK JPEGs (which dlib's loader misreads as RGBA), 16-bit PNGs and
// the other formats use Go's decoders. libjpeg's warnings about data it
// decoded around are in the ImageInfo.
func Decode(data []byte, limits imagefmt.Limits) (*imagefmt.RGB, result.ImageInfo, error) {
	ld, err := imagefmt.Load(data, limits, nativeDecoder{})
	info := result.ImageInfo{Format: string(ld.Header.Format), DecoderWarnings: ld.Warnings}
	if err != nil {
		return nil, info, err
	}
	info.EXIFOrientation = ld.Header.Orientation
	info.Width, info.Height = ld.Image.Width, ld.Image.Height
	return ld.Image, info, nil
}

// nativeDecoder is dlib's loaders as an imagefmt.NativeDecoder.
type nativeDecoder struct{}

func (nativeDecoder) Accepts(h imagefmt.Header) bool {
	switch h.Format {
	case imagefmt.PNG:
		// dlib's png_loader keeps the low byte of a 16-bit sample (and
		// saturates 16-bit gray); Go's decoder and ToRGB keep the high
		// byte, as libpng's png_set_strip_16 and Pillow do.
		return h.BitDepth != 16
	case imagefmt.JPEG:
		return h.ColorModel != imagefmt.ColorCMYK && h.ColorModel != imagefmt.ColorYCCK
	}
	return false
}

func (nativeDecoder) Decode(data []byte, h imagefmt.Header) ([]byte, string, error) {
	return dlibDecode(data, h.Format == imagefmt.JPEG, h.Width, h.Height)
}

// clip trims a dlib rectangle to the image the way face_recognition's
// _trim_css_to_bounds does.
func clip(r rect, w, h int) result.Box {
	return result.Box{
		Left:   max(r.Left, 0),
		Top:    max(r.Top, 0),
		Right:  min(r.Right, w),
		Bottom: min(r.Bottom, h),
	}
}
