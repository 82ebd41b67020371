package imagefmt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/facevec/facevec/result"
)

// convertHint ends every "unsupported image" message: the user's fix.
const convertHint = "convert to JPEG or PNG"

// Sniff recognises a supported format from its magic bytes. For anything
// else it returns an error wrapping result.ErrUnsupportedFormat whose text
// names what the file looks like ("HEIC images are not supported; convert
// to JPEG or PNG", "not an image: looks like a PDF document", "not an image:
// looks like text"). Empty input wraps result.ErrDecodeFailed ("file is
// empty (0 bytes)"), as does input too short to be any image.
//
// Sniff looks at the first few kilobytes only; a matching signature says
// nothing about whether the rest of the file is intact.
func Sniff(data []byte) (Format, error) {
	if len(data) == 0 {
		return "", result.Errorf(result.CodeDecodeFailed, "file is empty (0 bytes)")
	}
	if f, ok := sniffSupported(data); ok {
		return f, nil
	}
	if msg := sniffOther(data); msg != "" {
		return "", result.Errorf(result.CodeUnsupportedFormat, "%s", msg)
	}
	if looksLikeText(data) {
		return "", result.Errorf(result.CodeUnsupportedFormat, "not an image: looks like text")
	}
	if len(data) < minImageSize {
		return "", result.Errorf(result.CodeDecodeFailed,
			"file is too short to be an image (%d bytes)", len(data))
	}
	return "", result.Errorf(result.CodeUnsupportedFormat,
		"unrecognised file type (starts with % x); supported formats are JPEG, PNG, GIF, WebP, BMP and TIFF",
		data[:min(len(data), 8)])
}

// minImageSize is below the smallest valid file of any supported format
// (a 1x1 GIF is 26 bytes, a 1x1 BMP 58); shorter unknown input is reported
// as truncated rather than as an unknown format.
const minImageSize = 16

// sniffSupported matches the signatures of the supported formats.
func sniffSupported(d []byte) (Format, bool) {
	switch {
	case hasPrefix(d, "\xff\xd8\xff"):
		return JPEG, true
	case hasPrefix(d, "\x89PNG\r\n\x1a\n"):
		return PNG, true
	case hasPrefix(d, "GIF87a"), hasPrefix(d, "GIF89a"):
		return GIF, true
	case len(d) >= 12 && hasPrefix(d, "RIFF") && string(d[8:12]) == "WEBP":
		return WebP, true
	case hasPrefix(d, "II*\x00"), hasPrefix(d, "MM\x00*"):
		return TIFF, true
	case isBMP(d):
		return BMP, true
	}
	return "", false
}

// isBMP checks "BM" plus a known DIB header size, because "BM" alone
// starts plenty of text files. A file too short to hold the DIB size is
// still taken as a (truncated) BMP so that it gets a decode error.
func isBMP(d []byte) bool {
	if !hasPrefix(d, "BM") {
		return false
	}
	if len(d) < 18 {
		return !looksLikeText(d)
	}
	switch binary.LittleEndian.Uint32(d[14:18]) {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// magic is a signature of a format we cannot read, with the message for it.
type magic struct {
	prefix string
	msg    string
	binary bool // the prefix is printable: match only when the rest is not text
}

var otherMagic = []magic{
	{"%PDF-", "not an image: looks like a PDF document", false},
	{"PK\x03\x04", "not an image: looks like a ZIP archive", false},
	{"PK\x05\x06", "not an image: looks like a ZIP archive (empty)", false},
	{"\x1f\x8b", "not an image: looks like a gzip archive", false},
	{"Rar!\x1a\x07", "not an image: looks like a RAR archive", false},
	{"7z\xbc\xaf\x27\x1c", "not an image: looks like a 7-Zip archive", false},
	{"%!PS", "not an image: looks like a PostScript document", false},
	{"ID3", "not an image: looks like an MP3 audio file", true},
	{"OggS", "not an image: looks like an Ogg media file", false},
	{"\x1aE\xdf\xa3", "not an image: looks like a Matroska/WebM video", false},
	{"MZ", "not an image: looks like a Windows program", true},
	{"\x7fELF", "not an image: looks like a Linux program", false},
	{"II+\x00", "BigTIFF images are not supported; " + convertHint, false},
	{"MM\x00+", "BigTIFF images are not supported; " + convertHint, false},
	{"8BPS", "Photoshop (PSD) files are not supported; " + convertHint, false},
	{"\x00\x00\x01\x00", "Windows icon (ICO) files are not supported; " + convertHint, false},
	{"\x00\x00\x02\x00", "Windows cursor (CUR) files are not supported; " + convertHint, false},
	{"\xff\x0a", "JPEG XL images are not supported; " + convertHint, false},
	{"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL images are not supported; " + convertHint, false},
	{"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000 images are not supported; " + convertHint, false},
	{"\xff\x4f\xff\x51", "JPEG 2000 images are not supported; " + convertHint, false},
	{"gimp xcf", "GIMP (XCF) files are not supported; " + convertHint, false},
	{"\x76\x2f\x31\x01", "OpenEXR images are not supported; " + convertHint, false},
	{"#?RADIANCE", "Radiance HDR images are not supported; " + convertHint, false},
	{"qoif", "QOI images are not supported; " + convertHint, true},
}

// sniffOther names a format we do not support, or returns "".
func sniffOther(d []byte) string {
	if msg := sniffISOBMFF(d); msg != "" {
		return msg
	}
	if len(d) >= 12 && hasPrefix(d, "RIFF") {
		switch string(d[8:12]) {
		case "WAVE":
			return "not an image: looks like a WAV audio file"
		case "AVI ":
			return "not an image: looks like an AVI video"
		}
		return fmt.Sprintf("not an image: looks like a RIFF %q file", d[8:12])
	}
	for _, m := range otherMagic {
		if hasPrefix(d, m.prefix) && !(m.binary && looksLikeText(d)) {
			return m.msg
		}
	}
	// PDF allows junk before the header; readers look in the first 1 KiB.
	if bytes.Contains(d[:min(len(d), 1024)], []byte("%PDF-")) {
		return "not an image: looks like a PDF document"
	}
	return sniffMarkup(d)
}

// sniffISOBMFF recognises ISO base media files (HEIC, AVIF, MP4...) by the
// "ftyp" box: the major brand and the compatible brands that follow it.
func sniffISOBMFF(d []byte) string {
	if len(d) < 12 || string(d[4:8]) != "ftyp" {
		return ""
	}
	size := int(binary.BigEndian.Uint32(d[:4]))
	if size < 16 || size > len(d) {
		size = min(len(d), 64)
	}
	brands := []string{string(d[8:12])}
	for i := 16; i+4 <= size; i += 4 {
		brands = append(brands, string(d[i:i+4]))
	}
	has := func(want ...string) bool {
		for _, b := range brands {
			for _, w := range want {
				if b == w {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has("avif", "avis"):
		return "AVIF images are not supported; " + convertHint
	case has("heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs"):
		return "HEIC images are not supported; " + convertHint
	case has("mif1", "msf1"):
		return "HEIF images are not supported; " + convertHint
	case has("crx "):
		return "Canon raw (CR3) images are not supported; " + convertHint
	case has("M4A ", "M4B "):
		return "not an image: looks like an MPEG-4 audio file"
	}
	return "not an image: looks like a video (MP4/QuickTime)"
}

// sniffMarkup recognises SVG, HTML and XML after an optional BOM and
// leading white space.
func sniffMarkup(d []byte) string {
	head := d[:min(len(d), 4096)]
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeftFunc(head, unicode.IsSpace)
	if len(head) == 0 || head[0] != '<' {
		return ""
	}
	lower := strings.ToLower(string(head))
	switch {
	case strings.Contains(lower, "<svg"):
		return "SVG (vector) images are not supported; " + convertHint
	case strings.HasPrefix(lower, "<!doctype html"), strings.HasPrefix(lower, "<html"),
		strings.Contains(lower, "<html"):
		return "not an image: looks like an HTML page"
	case strings.HasPrefix(lower, "<?xml"):
		return "not an image: looks like an XML document"
	}
	return ""
}

// looksLikeText reports whether the first 512 bytes are printable UTF-8
// (or carry a UTF-16 byte-order mark).
func looksLikeText(d []byte) bool {
	if hasPrefix(d, "\xfe\xff") || hasPrefix(d, "\xff\xfe") {
		return true
	}
	head := d[:min(len(d), 512)]
	for len(head) > 0 {
		r, n := utf8.DecodeRune(head)
		if r == utf8.RuneError && n <= 1 {
			// A rune cut by the 512-byte window is not evidence of binary.
			if len(head) < utf8.UTFMax && len(d) > 512 && !utf8.FullRune(head) {
				return true
			}
			return false
		}
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) && r != '\ufeff' {
			return false
		}
		head = head[n:]
	}
	return true
}

func hasPrefix(d []byte, p string) bool {
	return len(d) >= len(p) && string(d[:len(p)]) == p
}
