package face

import (
	"bytes"
	"math"

	"github.com/facevec/facevec/function/face/imagefmt"
	"github.com/facevec/facevec/result"
)

// Decode turns file bytes into an upright packed RGB image. Limits are
// checked from the header before any pixel is allocated, so a
// decompression bomb is refused cheaply. JPEG and PNG go through dlib's
// libjpeg/libpng loaders, which is what keeps descriptors identical to the
// dlib/face_recognition reference (Go's image/jpeg differs by 0.02-0.10);
// other formats, and JPEGs libjpeg's dlib wrapper refuses (CMYK), use Go's
// decoders.
func Decode(data []byte, limits imagefmt.Limits) (*imagefmt.RGB, result.ImageInfo, error) {
	var info result.ImageInfo
	format, err := imagefmt.Sniff(data)
	if err != nil {
		return nil, info, err
	}
	info.Format = string(format)
	hdr, err := imagefmt.ReadHeader(data)
	if err != nil {
		return nil, info, err
	}
	if err := limits.Check(int64(len(data)), hdr); err != nil {
		return nil, info, err
	}
	if format == imagefmt.JPEG && jpegTruncated(data) {
		return nil, info, result.Errorf(result.CodeDecodeFailed, "JPEG data is truncated (no end-of-image marker after the scan)")
	}

	var img *imagefmt.RGB
	switch format {
	case imagefmt.JPEG, imagefmt.PNG:
		pix, w, h, derr := dlibDecode(data, format == imagefmt.JPEG)
		if derr == nil {
			img = &imagefmt.RGB{Pix: pix, Width: w, Height: h}
			break
		}
		// dlib refuses some valid files (CMYK/YCCK JPEG); Go decodes those.
		img, err = imagefmt.Decode(data, format)
		if err != nil {
			return nil, info, result.Errorf(result.CodeDecodeFailed, "%s: %v", format.Name(), derr)
		}
	default:
		img, err = imagefmt.Decode(data, format)
		if err != nil {
			return nil, info, err
		}
	}
	if img.Width != hdr.Width || img.Height != hdr.Height {
		return nil, info, result.Errorf(result.CodeDecodeFailed, "decoded %dx%d pixels but the header says %dx%d",
			img.Width, img.Height, hdr.Width, hdr.Height)
	}

	info.EXIFOrientation = hdr.Orientation
	if info.EXIFOrientation < 1 || info.EXIFOrientation > 8 {
		info.EXIFOrientation = 1
	}
	if info.EXIFOrientation != 1 {
		img = img.Upright(info.EXIFOrientation)
	}
	info.Width, info.Height = img.Width, img.Height
	return img, info, nil
}

// jpegTruncated reports whether the entropy-coded scan of a JPEG is cut
// short. libjpeg only warns about that and pads the image with grey, which
// would silently yield wrong or no faces, so we refuse it up front. The
// end-of-image marker must follow the first start-of-scan; one inside an
// EXIF thumbnail (before the scan) does not count.
func jpegTruncated(data []byte) bool {
	sos := jpegScanStart(data)
	if sos < 0 {
		return true
	}
	return bytes.LastIndex(data, []byte{0xFF, 0xD9}) < sos
}

// jpegScanStart walks the marker segments to the first SOS and returns its
// offset, or -1 when the stream ends first.
func jpegScanStart(d []byte) int {
	i := 2 // after SOI
	for i+4 <= len(d) {
		if d[i] != 0xFF {
			return -1
		}
		m := d[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xDA:
			return i
		case m == 0x01 || (m >= 0xD0 && m <= 0xD8):
			i += 2
			continue
		}
		n := int(d[i+2])<<8 | int(d[i+3])
		if n < 2 {
			return -1
		}
		i += 2 + n
	}
	return -1
}

// detectSize returns the size of the copy the detector runs on.
func detectSize(w, h int, p Params) (int, int) {
	scale := 1.0
	if long := max(w, h); p.MaxSide > 0 && long > p.MaxSide {
		scale = float64(p.MaxSide) / float64(long)
	}
	if p.Detector == DetectorCNN {
		up := float64(int64(1) << (2 * p.Upsample)) // each pyramid_up doubles both sides
		px := float64(w) * float64(h) * scale * scale * up
		if px > float64(p.CNNMaxPixels) {
			scale *= math.Sqrt(float64(p.CNNMaxPixels) / px)
		}
	}
	if scale >= 1 {
		return w, h
	}
	return max(1, int(float64(w)*scale+0.5)), max(1, int(float64(h)*scale+0.5))
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
