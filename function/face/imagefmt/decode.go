package imagefmt

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime/debug"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/facevec/facevec/result"
)

// Decode decodes an image with Go's decoders and converts it to 8-bit RGB
// (see ToRGB), without applying the EXIF orientation (see Upright). It
// handles every supported format: GIF (the first frame, placed on the
// logical screen filled with the background colour), WebP (lossy,
// lossless, with alpha; not animated), BMP, TIFF, and JPEG (including
// CMYK and YCCK, which dlib's loader misreads) and PNG as a fallback. When
// f is "" the format is sniffed. Lossy WebP is converted exactly as
// libwebp (and so Pillow) converts it, not with Go's full-range YCbCr.
//
// Decode does not enforce Limits; Load is the pipeline that does. It does
// make sure the decoder sees the dimensions the header reports, so a
// passed Limits.Check bounds the allocation. Errors wrap
// result.ErrDecodeFailed (corrupt or truncated data) or
// result.ErrUnsupportedFormat (a variant Go cannot decode) with the reason.
func Decode(data []byte, f Format) (*RGB, error) {
	if f != "" && !f.Supported() {
		return nil, result.Errorf(result.CodeUnsupportedFormat, "%s is not a supported format", f.Name())
	}
	h, err := ReadHeader(data)
	if err != nil {
		return nil, err
	}
	if f != "" && h.Format != f {
		return nil, result.Errorf(result.CodeDecodeFailed, "file is %s, not %s", h.Format.Name(), f.Name())
	}
	return decodeGo(data, h)
}

// decodeGo is Decode for a header already read.
func decodeGo(data []byte, h Header) (*RGB, error) {
	f := h.Format
	if !f.Supported() {
		return nil, result.Errorf(result.CodeUnsupportedFormat, "%s is not a supported format", f.Name())
	}
	if f == WebP && webpAnimated(data) {
		return nil, result.Errorf(result.CodeUnsupportedFormat,
			"animated WebP images are not supported; %s", convertHint)
	}
	if err := sameDimensions(data, h); err != nil {
		return nil, err
	}
	img, err := decodeImage(data, f)
	if err != nil {
		return nil, decodeError(f, err)
	}
	switch m := img.(type) {
	case *image.Paletted:
		if f == GIF {
			return gifScreen(data, m), nil
		}
	case *image.YCbCr:
		if f == WebP && m.SubsampleRatio == image.YCbCrSubsampleRatio420 {
			return vp8ToRGB(m), nil // lossy WebP: limited-range YUV, see webp_yuv.go
		}
	case *image.NYCbCrA:
		if f == WebP && m.SubsampleRatio == image.YCbCrSubsampleRatio420 {
			return vp8ToRGB(&m.YCbCr), nil // alpha dropped: straight colour
		}
	}
	return ToRGB(img), nil
}

// decodeImage runs the Go decoder for f. A panic inside a decoder (they are
// third-party code fed hostile bytes) becomes a *DecoderPanicError instead
// of killing the process.
func decodeImage(data []byte, f Format) (img image.Image, err error) {
	defer func() {
		if v := recover(); v != nil {
			img, err = nil, &DecoderPanicError{Format: f, Value: v, Stack: debug.Stack()}
		}
	}()
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		return jpeg.Decode(r)
	case PNG:
		return png.Decode(r)
	case GIF:
		return gif.Decode(r) // first frame only: never all frames (memory)
	case WebP:
		return webp.Decode(r)
	case BMP:
		return bmp.Decode(r)
	case TIFF:
		return tiff.Decode(r)
	}
	return nil, result.Errorf(result.CodeUnsupportedFormat, "%s is not a supported format", f.Name())
}

// sameDimensions checks that the Go decoder's own header parse agrees with
// the header read. For JPEG, ReadHeader walks the markers itself (to report
// variants Go cannot decode); a disagreement would let a file pass
// Limits.Check with one size and allocate another. For the other formats
// ReadHeader already used the Go decoder's DecodeConfig.
func sameDimensions(data []byte, h Header) error {
	if h.Format != JPEG {
		return nil
	}
	c, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return decodeError(JPEG, err)
	}
	if c.Width != h.Width || c.Height != h.Height {
		return result.Errorf(result.CodeDecodeFailed,
			"corrupt JPEG header: frame sizes disagree (%dx%d and %dx%d)", h.Width, h.Height, c.Width, c.Height)
	}
	return nil
}

// webpAnimated reports the animation flag of a VP8X chunk. x/image/webp
// skips animation frames and then fails with a bare "invalid format".
func webpAnimated(data []byte) bool {
	x := riffChunk(data, "VP8X")
	return len(x) >= 1 && x[0]&0x02 != 0
}

// gifScreen places the first frame on the logical screen, as viewers show
// it: the frame may be smaller than the screen and offset within it; the
// rest is the background colour from the global colour table (black when
// there is none). Transparent pixels come out black (Go's decoder drops
// the colour stored for the transparent index).
func gifScreen(data []byte, frame image.Image) *RGB {
	c, err := gif.DecodeConfig(bytes.NewReader(data))
	fr := frame.Bounds()
	if err != nil || fr == image.Rect(0, 0, c.Width, c.Height) {
		return ToRGB(frame)
	}
	screen := NewRGB(c.Width, c.Height)
	br, bg, bb := gifBackground(data)
	for i := 0; i < len(screen.Pix); i += 3 {
		screen.Pix[i], screen.Pix[i+1], screen.Pix[i+2] = br, bg, bb
	}
	src := ToRGB(frame)
	// The Go decoder guarantees the frame lies within the screen; clip anyway.
	at := fr.Intersect(screen.Bounds())
	for y := at.Min.Y; y < at.Max.Y; y++ {
		s := src.Pix[3*((y-fr.Min.Y)*src.Width+(at.Min.X-fr.Min.X)):]
		d := screen.Pix[3*(y*screen.Width+at.Min.X):]
		copy(d[:3*at.Dx()], s[:3*at.Dx()])
	}
	return screen
}

// gifBackground reads the background colour index from the logical screen
// descriptor and looks it up in the global colour table.
func gifBackground(d []byte) (r, g, b uint8) {
	if len(d) < 13 || d[10]&0x80 == 0 {
		return 0, 0, 0
	}
	entries := 1 << (d[10]&0x07 + 1)
	idx := int(d[11])
	if idx >= entries || 13+3*(idx+1) > len(d) {
		return 0, 0, 0
	}
	p := d[13+3*idx:]
	return p[0], p[1], p[2]
}
