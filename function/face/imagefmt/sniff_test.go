package imagefmt

import (
	"bytes"
	"image/gif"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/facevec/facevec/result"
)

func TestSniffSupported(t *testing.T) {
	grid := gridImage(gridW, gridH)
	var gb, bb, tb bytes.Buffer
	if err := gif.Encode(&gb, grid, nil); err != nil {
		t.Fatal(err)
	}
	if err := bmp.Encode(&bb, grid); err != nil {
		t.Fatal(err)
	}
	if err := tiff.Encode(&tb, grid, nil); err != nil {
		t.Fatal(err)
	}
	bigEndianTIFF := append([]byte("MM\x00*"), make([]byte, 20)...)
	tests := []struct {
		name string
		data []byte
		want Format
	}{
		{"jpeg", encodeJPEG(t, grid, 90), JPEG},
		{"jpeg progressive", readTestdata(t, "progressive.jpg"), JPEG},
		{"png", encodePNG(t, grid), PNG},
		{"gif", gb.Bytes(), GIF},
		{"webp lossy", readTestdata(t, "lossy.webp"), WebP},
		{"webp lossless", readTestdata(t, "lossless.webp"), WebP},
		{"bmp", bb.Bytes(), BMP},
		{"bmp truncated to its signature", []byte("BM\x01\x02"), BMP},
		{"tiff little-endian", tb.Bytes(), TIFF},
		{"tiff big-endian", bigEndianTIFF, TIFF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sniff(tt.data)
			if err != nil {
				t.Fatalf("Sniff: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Sniff = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSniffRejects(t *testing.T) {
	binaryJunk := []byte{0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b}
	ftyp := func(major string, compat ...string) []byte {
		b := []byte{0, 0, 0, byte(16 + 4*len(compat))}
		b = append(b, "ftyp"+major+"\x00\x00\x00\x00"...)
		for _, c := range compat {
			b = append(b, c...)
		}
		return append(b, make([]byte, 32)...)
	}
	tests := []struct {
		name string
		data []byte
		code result.Code
		msg  string
	}{
		{"empty", nil, result.CodeDecodeFailed, "file is empty (0 bytes)"},
		{"heic from ImageMagick", readTestdata(t, "grid.heic"), result.CodeUnsupportedFormat, "HEIC images are not supported; convert to JPEG or PNG"},
		{"avif from ImageMagick", readTestdata(t, "grid.avif"), result.CodeUnsupportedFormat, "AVIF images are not supported; convert to JPEG or PNG"},
		{"heic brand only in compatible list", ftyp("mif1", "heic"), result.CodeUnsupportedFormat, "HEIC images are not supported"},
		{"plain heif", ftyp("mif1", "miaf"), result.CodeUnsupportedFormat, "HEIF images are not supported"},
		{"mp4 video", ftyp("isom", "iso2", "mp41"), result.CodeUnsupportedFormat, "not an image: looks like a video"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), result.CodeUnsupportedFormat, "not an image: looks like a PDF document"},
		{"pdf after junk", append(bytes.Repeat([]byte{0}, 100), "%PDF-1.4\n"...), result.CodeUnsupportedFormat, "looks like a PDF document"},
		{"text", []byte("name,descriptor\nalice,0.1 0.2 0.3\n"), result.CodeUnsupportedFormat, "not an image: looks like text"},
		{"utf-8 text", []byte("Grüße aus Köln — ein Foto fehlt hier.\n"), result.CodeUnsupportedFormat, "looks like text"},
		{"text starting with BM", []byte("BMW photos are in the other folder, sorry!\n"), result.CodeUnsupportedFormat, "looks like text"},
		{"text starting with MZ", []byte("MZ is not always a Windows program\n"), result.CodeUnsupportedFormat, "looks like text"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`), result.CodeUnsupportedFormat, "SVG (vector) images are not supported"},
		{"svg with xml prolog and BOM", []byte("\xef\xbb\xbf\n<?xml version=\"1.0\"?>\n<!-- x -->\n<svg></svg>"), result.CodeUnsupportedFormat, "SVG"},
		{"xml", []byte(`<?xml version="1.0"?><note>hi</note>`), result.CodeUnsupportedFormat, "not an image: looks like an XML document"},
		{"html", []byte("<!DOCTYPE html>\n<html><body>403 Forbidden</body></html>"), result.CodeUnsupportedFormat, "not an image: looks like an HTML page"},
		{"zip", append([]byte("PK\x03\x04\x14\x00\x00\x00"), make([]byte, 30)...), result.CodeUnsupportedFormat, "not an image: looks like a ZIP archive"},
		{"gzip", append([]byte{0x1f, 0x8b, 8, 0}, make([]byte, 30)...), result.CodeUnsupportedFormat, "gzip"},
		{"wav", append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), make([]byte, 30)...), result.CodeUnsupportedFormat, "WAV audio"},
		{"windows exe", append([]byte("MZ\x90\x00\x03\x00"), make([]byte, 60)...), result.CodeUnsupportedFormat, "Windows program"},
		{"bigtiff", append([]byte("II+\x00\x08\x00\x00\x00"), make([]byte, 30)...), result.CodeUnsupportedFormat, "BigTIFF images are not supported"},
		{"psd", append([]byte("8BPS\x00\x01"), make([]byte, 30)...), result.CodeUnsupportedFormat, "Photoshop"},
		{"unknown binary", binaryJunk, result.CodeUnsupportedFormat, "unrecognised file type (starts with 00 13 37 de ad be ef 01)"},
		{"too short", []byte{0xff, 0xd8}, result.CodeDecodeFailed, "file is too short to be an image (2 bytes)"},
		{"gif signature with a bad version", append([]byte("GIF88a"), binaryJunk...), result.CodeUnsupportedFormat, "unrecognised file type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Sniff(tt.data)
			wantCode(t, err, tt.code)
			if f != "" {
				t.Errorf("format %q returned with an error", f)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err, tt.msg)
			}
		})
	}
}

// ReadHeader and Decode must give the same plain message as Sniff.
func TestRejectsSameEverywhere(t *testing.T) {
	heic := readTestdata(t, "grid.heic")
	_, errS := Sniff(heic)
	_, errH := ReadHeader(heic)
	_, errD := Decode(heic, "")
	_, errL := Load(heic, Limits{}, nil)
	for _, err := range []error{errH, errD, errL} {
		if err == nil || err.Error() != errS.Error() {
			t.Errorf("got %v, want %v", err, errS)
		}
	}
	if _, err := Decode(heic, Format("heic")); result.CodeOf(err) != result.CodeUnsupportedFormat {
		t.Errorf("Decode(heic, %q) = %v, want unsupported_format", "heic", err)
	}
}
