package imagefmt

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// WithOrientation returns a copy of a JPEG with an APP1 Exif segment that
// holds only the given Orientation tag (big-endian TIFF, as most cameras
// write). Existing Exif segments are dropped so the new one is the one
// readers see; the new segment goes right after SOI, or after a leading
// JFIF APP0 segment. Pixels are untouched.
//
// It exists to build EXIF-rotated test fixtures. o may be any 16-bit value,
// so that out-of-range orientations (0, 9) can be written on purpose.
func WithOrientation(jpeg []byte, o int) ([]byte, error) {
	if o < 0 || o > 0xffff {
		return nil, fmt.Errorf("orientation %d does not fit the 16-bit EXIF field", o)
	}
	var segs []jpegSegment
	sos := -1
	err := walkJPEG(jpeg, func(s jpegSegment) bool {
		if s.Marker == mSOS {
			sos = s.Start
			return false
		}
		segs = append(segs, s)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("read JPEG markers: %w", err)
	}
	if sos < 0 {
		return nil, errors.New("read JPEG markers: no scan data")
	}
	app1 := exifSegment(exifTIFF(binary.BigEndian, o))

	out := make([]byte, 0, len(jpeg)+len(app1))
	out = append(out, 0xff, mSOI)
	inserted := false
	for i, s := range segs {
		isJFIF := s.Marker == mAPP0 && len(s.Payload) >= 5 && string(s.Payload[:5]) == "JFIF\x00"
		if !inserted && !(i == 0 && isJFIF) {
			out = append(out, app1...)
			inserted = true
		}
		if s.Marker == mAPP1 && len(s.Payload) >= 6 && string(s.Payload[:5]) == "Exif\x00" {
			continue
		}
		out = append(out, jpeg[s.Start:s.End]...)
	}
	if !inserted {
		out = append(out, app1...)
	}
	return append(out, jpeg[sos:]...), nil
}

// exifTIFF builds a minimal TIFF structure: header, IFD0 with one SHORT
// Orientation entry, next-IFD offset 0.
func exifTIFF(order binary.ByteOrder, o int) []byte {
	b := make([]byte, 8+2+12+4)
	if order == binary.ByteOrder(binary.LittleEndian) {
		copy(b, "II")
	} else {
		copy(b, "MM")
	}
	order.PutUint16(b[2:], 42)
	order.PutUint32(b[4:], 8) // IFD0 right after the header
	order.PutUint16(b[8:], 1) // one entry
	e := b[10:]
	order.PutUint16(e[0:], tagOrientation)
	order.PutUint16(e[2:], 3) // SHORT
	order.PutUint32(e[4:], 1) // count
	order.PutUint16(e[8:], uint16(o))
	return b // next-IFD offset is already 0
}

// exifSegment wraps a TIFF structure in a JPEG APP1 "Exif\0\0" segment.
func exifSegment(tiff []byte) []byte {
	n := 2 + 6 + len(tiff)
	seg := []byte{0xff, mAPP1, byte(n >> 8), byte(n)}
	seg = append(seg, "Exif\x00\x00"...)
	return append(seg, tiff...)
}
