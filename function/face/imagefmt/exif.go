package imagefmt

import "encoding/binary"

// tagOrientation is the TIFF/EXIF Orientation tag (0x0112).
const tagOrientation = 0x0112

// Orientation returns the EXIF orientation (1..8) of an image: from the
// APP1 "Exif" segment of a JPEG, the "eXIf" chunk of a PNG, the "EXIF"
// chunk of a WebP, or the first IFD of a TIFF. It returns 1 when the
// orientation is absent, out of range, or the metadata is malformed; a
// wrong EXIF block must not stop a photo from being processed.
//
// When f is "", the format is sniffed. Only IFD0 is read, where the
// standard puts Orientation, so IFD chains are never followed: loops and
// huge offsets cannot cost more than one bounds check.
func Orientation(data []byte, f Format) int {
	if f == "" {
		f, _ = sniffSupported(data)
	}
	switch f {
	case JPEG:
		info, _ := scanJPEG(data)
		return exifOrientation(info.Exif)
	case PNG:
		return exifOrientation(stripExifPrefix(pngChunk(data, "eXIf")))
	case WebP:
		return exifOrientation(stripExifPrefix(riffChunk(data, "EXIF")))
	case TIFF:
		return exifOrientation(data)
	}
	return 1
}

// stripExifPrefix removes the "Exif\0\0" header some writers put in PNG
// and WebP chunks, where the TIFF structure should start directly.
func stripExifPrefix(b []byte) []byte {
	if len(b) >= 6 && string(b[:5]) == "Exif\x00" {
		return b[6:]
	}
	return b
}

// exifOrientation reads the Orientation tag from IFD0 of a TIFF structure
// ("II*\0" or "MM\0*" header). It accepts SHORT (the standard type), and
// BYTE or LONG as some writers use; values outside 1..8 give 1.
func exifOrientation(b []byte) int {
	if len(b) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 1
	}
	ifd := uint64(order.Uint32(b[4:8]))
	if ifd < 8 || ifd+2 > uint64(len(b)) {
		return 1
	}
	n := uint64(order.Uint16(b[ifd:]))
	for i := uint64(0); i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > uint64(len(b)) {
			break // a count larger than the data: read what is there
		}
		if order.Uint16(b[e:]) != tagOrientation {
			continue
		}
		if order.Uint32(b[e+4:]) == 0 {
			return 1
		}
		var v uint32
		switch order.Uint16(b[e+2:]) {
		case 1: // BYTE
			v = uint32(b[e+8])
		case 3: // SHORT
			v = uint32(order.Uint16(b[e+8:]))
		case 4: // LONG
			v = order.Uint32(b[e+8:])
		default:
			return 1
		}
		if v < 1 || v > 8 {
			return 1
		}
		return int(v)
	}
	return 1
}
