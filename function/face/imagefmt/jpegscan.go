package imagefmt

import (
	"errors"
	"io"
)

// JPEG marker codes used here (ITU T.81 table B.1).
const (
	mSOI   = 0xd8
	mEOI   = 0xd9
	mSOS   = 0xda
	mAPP0  = 0xe0
	mAPP1  = 0xe1
	mAPP14 = 0xee
)

var (
	errJPEGNoSOI = errors.New("missing start-of-image marker")
	errJPEGEOI   = errors.New("end-of-image marker before any image data")
	errJPEGShort = errors.New("marker segment shorter than its own length field")
)

// jpegSegment is one marker segment before the first scan. Payload excludes
// the marker and the length field; [Start, End) covers the whole segment
// including any fill bytes before the marker.
type jpegSegment struct {
	Marker     byte
	Payload    []byte
	Start, End int
}

// walkJPEG calls fn for each marker segment after SOI up to and including
// the first SOS, or until fn returns false. It skips extraneous bytes and
// fill bytes between segments the way libjpeg and Go's image/jpeg do, so
// that it sees the same segments as the decoders. Every step consumes at
// least one byte, so the walk is bounded by len(data).
//
// It returns nil after SOS or when fn stops it, errJPEGEOI at an EOI,
// io.ErrUnexpectedEOF when the data ends inside the headers.
func walkJPEG(data []byte, fn func(s jpegSegment) bool) error {
	if len(data) < 2 || data[0] != 0xff || data[1] != mSOI {
		return errJPEGNoSOI
	}
	p := 2
	for {
		start := p
		for p < len(data) && data[p] != 0xff {
			p++ // extraneous data: libjpeg warns and skips it
		}
		for p < len(data) && data[p] == 0xff {
			p++ // fill bytes
		}
		if p >= len(data) {
			return io.ErrUnexpectedEOF
		}
		m := data[p]
		p++
		switch {
		case m == 0x00:
			continue // a stuffed 0xFF00 outside a scan is junk too
		case m == mEOI:
			return errJPEGEOI
		case m >= 0xd0 && m <= 0xd7, m == 0x01, m == mSOI:
			// Standalone markers carry no length.
			if !fn(jpegSegment{Marker: m, Start: start, End: p}) {
				return nil
			}
			continue
		}
		if p+2 > len(data) {
			return io.ErrUnexpectedEOF
		}
		n := int(data[p])<<8 | int(data[p+1])
		if n < 2 {
			return errJPEGShort
		}
		if p+n > len(data) {
			return io.ErrUnexpectedEOF
		}
		seg := jpegSegment{Marker: m, Payload: data[p+2 : p+n], Start: start, End: p + n}
		p += n
		if !fn(seg) || m == mSOS {
			return nil
		}
	}
}

// isSOF reports whether m starts a frame (SOF0..SOF15 minus DHT, JPG, DAC).
func isSOF(m byte) bool {
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc
}

// jpegInfo is what the headers of a JPEG say, up to the first scan.
type jpegInfo struct {
	SOF            byte // the frame marker, 0 when none was seen
	Precision      int
	Width, Height  int
	Components     int
	ComponentIDs   []byte
	JFIF           bool
	Adobe          bool
	AdobeTransform byte
	Exif           []byte // TIFF structure of the first APP1 Exif segment
	ScanStart      int    // offset of the first scan's entropy-coded data; 0 when none was reached
}

// scanJPEG collects jpegInfo from the markers. The error is the walk's;
// info is filled as far as the walk got, so a file cut after its frame
// header still has a usable SOF.
func scanJPEG(data []byte) (jpegInfo, error) {
	var info jpegInfo
	var sofErr error
	err := walkJPEG(data, func(s jpegSegment) bool {
		p := s.Payload
		switch {
		case isSOF(s.Marker):
			if info.SOF != 0 {
				return true // libjpeg and Go refuse a second frame when decoding
			}
			info.SOF = s.Marker
			if len(p) < 6 {
				sofErr = errors.New("frame header is too short")
				return false
			}
			info.Precision = int(p[0])
			info.Height = int(p[1])<<8 | int(p[2])
			info.Width = int(p[3])<<8 | int(p[4])
			info.Components = int(p[5])
			if len(p) < 6+3*info.Components {
				sofErr = errors.New("frame header is shorter than its component list")
				return false
			}
			for i := range info.Components {
				info.ComponentIDs = append(info.ComponentIDs, p[6+3*i])
			}
		case s.Marker == mAPP0 && len(p) >= 5 && string(p[:5]) == "JFIF\x00":
			info.JFIF = true
		case s.Marker == mAPP1 && info.Exif == nil && len(p) >= 6 && string(p[:5]) == "Exif\x00":
			info.Exif = p[6:]
		case s.Marker == mSOS:
			info.ScanStart = s.End
		case s.Marker == mAPP14 && len(p) >= 12 && string(p[:5]) == "Adobe":
			info.Adobe = true
			info.AdobeTransform = p[11]
		}
		return true
	})
	if sofErr != nil {
		return info, sofErr
	}
	return info, err
}

// colorModel names the JPEG colour space the way Go's decoder decides it.
func (j jpegInfo) colorModel() string {
	switch j.Components {
	case 1:
		return ColorGray
	case 3:
		if !j.JFIF && j.Adobe && j.AdobeTransform == 0 {
			return ColorRGB
		}
		if !j.JFIF && len(j.ComponentIDs) == 3 && string(j.ComponentIDs) == "RGB" {
			return ColorRGB
		}
		return ColorYCbCr
	case 4:
		if j.Adobe && j.AdobeTransform != 0 {
			return ColorYCCK
		}
		return ColorCMYK
	}
	return ""
}
