package imagefmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io"
	"strconv"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/facevec/facevec/result"
)

// Colour models reported in Header.ColorModel (best effort: it describes
// how the pixels are stored, before any conversion to RGB).
const (
	ColorGray      = "gray"
	ColorGrayAlpha = "graya"
	ColorRGB       = "rgb"
	ColorRGBA      = "rgba"
	ColorPaletted  = "paletted"
	ColorYCbCr     = "ycbcr"
	ColorYCbCrA    = "ycbcra"
	ColorCMYK      = "cmyk"
	ColorYCCK      = "ycck"
)

// Header is what an image's header says, read without decoding pixels.
type Header struct {
	Format        Format
	Width, Height int    // stored size, before EXIF orientation
	Orientation   int    // EXIF orientation 1..8; 1 when absent or invalid
	BitDepth      int    // bits per sample (1..16), best effort
	ColorModel    string // one of the Color* constants, best effort
	// Truncated is set for a JPEG whose entropy-coded data is cut short: no
	// end-of-image marker after the first start-of-scan (an EOI inside an
	// EXIF thumbnail, before the scan, does not count). Load refuses it.
	Truncated bool
}

// Pixels is Width*Height, saturating instead of overflowing.
func (h Header) Pixels() int64 { return pixels(h.Width, h.Height) }

// UprightSize is the displayed size after applying Orientation.
func (h Header) UprightSize() (w, ht int) { return UprightSize(h.Width, h.Height, h.Orientation) }

// ReadHeader sniffs the format and reads the dimensions, orientation, bit
// depth and colour model from the header, without decoding pixels and
// without allocating in proportion to the image. A truncated or corrupt
// header wraps result.ErrDecodeFailed; an unsupported format or variant
// wraps result.ErrUnsupportedFormat. Zero dimensions are returned as read;
// Limits.Check refuses them.
func ReadHeader(data []byte) (Header, error) {
	f, err := Sniff(data)
	if err != nil {
		return Header{}, err
	}
	var h Header
	switch f {
	case JPEG:
		h, err = jpegHeader(data)
	case PNG:
		h, err = pngHeader(data)
	case BMP:
		h, err = bmpHeader(data)
	default:
		h, err = configHeader(data, f)
	}
	if err != nil {
		return Header{}, err
	}
	h.Format = f
	if h.Orientation == 0 {
		h.Orientation = Orientation(data, f)
	}
	return h, nil
}

func jpegHeader(data []byte) (Header, error) {
	info, err := scanJPEG(data)
	if info.SOF != 0 && info.Components == 0 && err == nil {
		return Header{}, result.Errorf(result.CodeDecodeFailed, "corrupt JPEG header: the frame has no colour components")
	}
	if info.SOF == 0 || info.Components == 0 {
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return Header{}, result.Errorf(result.CodeDecodeFailed,
				"truncated JPEG: the file ends before the frame header")
		case err != nil:
			return Header{}, result.Errorf(result.CodeDecodeFailed, "corrupt JPEG header: %v", err)
		}
		return Header{}, result.Errorf(result.CodeDecodeFailed, "corrupt JPEG header: no frame header before the image data")
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, errJPEGEOI) {
		// A cut after the frame header still has a usable header; the
		// decoder will report the truncation. Anything else is corrupt.
		return Header{}, result.Errorf(result.CodeDecodeFailed, "corrupt JPEG header: %v", err)
	}
	switch info.Components {
	case 1, 3, 4:
	default:
		return Header{}, result.Errorf(result.CodeUnsupportedFormat,
			"JPEG with %d colour components is not supported; %s", info.Components, resaveHint(JPEG))
	}
	return Header{
		Width:       info.Width,
		Height:      info.Height,
		Orientation: exifOrientation(info.Exif),
		BitDepth:    info.Precision,
		ColorModel:  info.colorModel(),
		Truncated:   err != nil || info.ScanStart == 0 || bytes.LastIndex(data[info.ScanStart:], []byte{0xff, mEOI}) < 0,
	}, nil
}

func pngHeader(data []byte) (Header, error) {
	c, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Header{}, headerError(PNG, err)
	}
	// DecodeConfig succeeded, so IHDR is the first chunk: its bit depth
	// and colour type are at fixed offsets.
	h := Header{Width: c.Width, Height: c.Height, BitDepth: int(data[24])}
	switch data[25] {
	case 0:
		h.ColorModel = ColorGray
	case 2:
		h.ColorModel = ColorRGB
	case 3:
		h.ColorModel = ColorPaletted
	case 4:
		h.ColorModel = ColorGrayAlpha
	case 6:
		h.ColorModel = ColorRGBA
	}
	return h, nil
}

func bmpHeader(data []byte) (Header, error) {
	c, err := bmp.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, bmp.ErrUnsupported) {
			return Header{}, result.Errorf(result.CodeUnsupportedFormat,
				"unsupported BMP variant (%s); %s", describeBMP(data), convertHint)
		}
		return Header{}, headerError(BMP, err)
	}
	h := Header{Width: c.Width, Height: c.Height, BitDepth: 8, ColorModel: ColorRGB}
	switch bpp := binary.LittleEndian.Uint16(data[28:30]); bpp {
	case 1, 2, 4, 8:
		h.BitDepth, h.ColorModel = int(bpp), ColorPaletted
	case 32:
		if binary.LittleEndian.Uint32(data[14:18]) > 40 {
			h.ColorModel = ColorRGBA // only V4/V5 headers carry real alpha
		}
	}
	return h, nil
}

// describeBMP says why x/image/bmp refused a BMP, for the error message.
func describeBMP(d []byte) string {
	if len(d) < 18 {
		return "truncated header"
	}
	switch dib := binary.LittleEndian.Uint32(d[14:18]); {
	case dib != 40 && dib != 108 && dib != 124:
		return "old or unusual DIB header"
	case len(d) < 34:
		return "truncated header"
	}
	bpp := binary.LittleEndian.Uint16(d[28:30])
	switch comp := binary.LittleEndian.Uint32(d[30:34]); comp {
	case 0, 3:
		return "bit depth " + strconv.Itoa(int(bpp))
	case 1, 2:
		return "RLE compression"
	case 4:
		return "embedded JPEG"
	case 5:
		return "embedded PNG"
	default:
		return "compression type " + strconv.Itoa(int(comp))
	}
}

// configHeader uses the registered Go decoder's DecodeConfig.
func configHeader(data []byte, f Format) (Header, error) {
	r := bytes.NewReader(data)
	var c image.Config
	var err error
	switch f {
	case GIF:
		c, err = gif.DecodeConfig(r)
	case WebP:
		c, err = webp.DecodeConfig(r)
	case TIFF:
		c, err = tiff.DecodeConfig(r)
	default:
		return Header{}, result.Errorf(result.CodeUnsupportedFormat, "%s is not a supported format", f.Name())
	}
	if err != nil {
		return Header{}, headerError(f, err)
	}
	h := Header{Width: c.Width, Height: c.Height}
	h.ColorModel, h.BitDepth = modelInfo(c.ColorModel)
	return h, nil
}

// modelInfo names a Go colour model and its bits per sample.
func modelInfo(m color.Model) (string, int) {
	if _, ok := m.(color.Palette); ok {
		return ColorPaletted, 8
	}
	switch m {
	case color.GrayModel:
		return ColorGray, 8
	case color.Gray16Model:
		return ColorGray, 16
	case color.RGBAModel:
		return ColorRGB, 8
	case color.RGBA64Model:
		return ColorRGB, 16
	case color.NRGBAModel:
		return ColorRGBA, 8
	case color.NRGBA64Model:
		return ColorRGBA, 16
	case color.YCbCrModel:
		return ColorYCbCr, 8
	case color.NYCbCrAModel:
		return ColorYCbCrA, 8
	case color.CMYKModel:
		return ColorCMYK, 8
	}
	return "", 8
}

// headerError wraps a Go decoder's header error with a plain reason.
func headerError(f Format, err error) error {
	switch {
	case isTruncation(err):
		return result.Errorf(result.CodeDecodeFailed, "truncated %s: the file ends inside the header", f.Name())
	case isUnsupported(err) && f != PNG:
		return result.Errorf(result.CodeUnsupportedFormat, "unsupported %s variant (%v); %s", f.Name(), err, resaveHint(f))
	}
	// Go implements all of PNG, so an "unsupported" PNG is a broken one.
	return result.Errorf(result.CodeDecodeFailed, "corrupt %s header: %v", f.Name(), err)
}
