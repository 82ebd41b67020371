package imagefmt

import "bytes"

// JPEGTruncated reports whether a JPEG's entropy-coded data is cut short:
// no end-of-image marker after the first start-of-scan. libjpeg only warns
// about that and pads the picture with grey, which would silently yield
// wrong or missing faces, so callers refuse such files. An EOI inside an
// EXIF thumbnail (before the scan) does not count.
func JPEGTruncated(data []byte) bool {
	sos := -1
	err := walkJPEG(data, func(s jpegSegment) bool {
		if s.Marker == mSOS {
			sos = s.End
		}
		return true
	})
	if err != nil || sos < 0 {
		return true
	}
	return bytes.LastIndex(data[sos:], []byte{0xff, mEOI}) < 0
}
