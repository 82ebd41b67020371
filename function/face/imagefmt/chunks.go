package imagefmt

import "encoding/binary"

// pngChunk returns the data of the first PNG chunk of type typ, or nil.
// The walk stops at IEND, at a length that runs past the data, or at the
// end; each step consumes at least 12 bytes, so it is bounded. CRCs are not
// checked: this is only used for metadata the decoder would skip anyway.
func pngChunk(data []byte, typ string) []byte {
	const sigLen = 8
	if !hasPrefix(data, "\x89PNG\r\n\x1a\n") {
		return nil
	}
	for p := sigLen; p+8 <= len(data); {
		n := uint64(binary.BigEndian.Uint32(data[p:]))
		t := string(data[p+4 : p+8])
		end := uint64(p) + 8 + n
		if end > uint64(len(data)) {
			return nil
		}
		if t == typ {
			return data[p+8 : end]
		}
		if t == "IEND" {
			return nil
		}
		p = int(end) + 4 // skip the CRC
	}
	return nil
}

// riffChunk returns the data of the first top-level chunk with the given
// FourCC in a RIFF/WEBP file, or nil. Chunks are padded to even sizes.
// Each step consumes at least 8 bytes, so the walk is bounded.
func riffChunk(data []byte, fourCC string) []byte {
	if len(data) < 12 || !hasPrefix(data, "RIFF") {
		return nil
	}
	for p := 12; p+8 <= len(data); {
		n := uint64(binary.LittleEndian.Uint32(data[p+4:]))
		end := uint64(p) + 8 + n
		if end > uint64(len(data)) {
			return nil
		}
		if string(data[p:p+4]) == fourCC {
			return data[p+8 : end]
		}
		p = int(end + end&1)
	}
	return nil
}
