package imagefmt

import (
	"bytes"
	"encoding/binary"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/facevec/facevec/fixtures/exif"
)

func TestWithOrientationRoundTrip(t *testing.T) {
	sources := map[string][]byte{
		"go jpeg (no APP0)":         encodeJPEG(t, gridImage(gridW, gridH), 90),
		"imagemagick jpeg (JFIF)":   readTestdata(t, "progressive.jpg"),
		"exiftool jpeg (has Exif)":  readTestdata(t, "exiftool8.jpg"),
		"pillow cmyk (Adobe APP14)": readTestdata(t, "cmyk.jpg"),
	}
	for name, src := range sources {
		for o := 1; o <= 8; o++ {
			out, err := exif.WithOrientation(src, o)
			if err != nil {
				t.Fatalf("%s: exif.WithOrientation(%d): %v", name, o, err)
			}
			if got := Orientation(out, JPEG); got != o {
				t.Errorf("%s: Orientation after exif.WithOrientation(%d) = %d", name, o, got)
			}
			h, err := ReadHeader(out)
			if err != nil || h.Orientation != o || h.Width != gridW || h.Height != gridH {
				t.Errorf("%s o=%d: ReadHeader = %+v, %v", name, o, h, err)
			}
			// The pixels are untouched: Go decodes the same image.
			a, errA := jpeg.Decode(bytes.NewReader(src))
			b, errB := jpeg.Decode(bytes.NewReader(out))
			if errA != nil || errB != nil {
				t.Fatalf("%s o=%d: decode %v / %v", name, o, errA, errB)
			}
			if !bytes.Equal(ToRGB(a).Pix, ToRGB(b).Pix) {
				t.Errorf("%s o=%d: pixels changed", name, o)
			}
			// Exactly one Exif segment, placed after a leading JFIF APP0.
			var exifs int
			var first byte
			_ = walkJPEG(out, func(s jpegSegment) bool {
				if first == 0 {
					first = s.Marker
				}
				if s.Marker == mAPP1 && bytes.HasPrefix(s.Payload, []byte("Exif\x00")) {
					exifs++
				}
				return true
			})
			if exifs != 1 {
				t.Errorf("%s o=%d: %d Exif segments", name, o, exifs)
			}
			if hasJFIF := bytes.HasPrefix(src[6:], []byte("JFIF\x00")); hasJFIF && first != mAPP0 {
				t.Errorf("%s o=%d: JFIF APP0 is no longer first (0x%x)", name, o, first)
			} else if !hasJFIF && first != mAPP1 {
				t.Errorf("%s o=%d: first segment 0x%x, want the new APP1", name, o, first)
			}
		}
	}
}

func TestWithOrientationErrors(t *testing.T) {
	jpg := encodeJPEG(t, gridImage(8, 8), 90)
	tests := []struct {
		name string
		data []byte
		o    int
		msg  string
	}{
		{"negative", jpg, -1, "does not fit"},
		{"too big", jpg, 70000, "does not fit"},
		{"png", encodePNG(t, gridImage(8, 8)), 6, "missing start-of-image"},
		{"cut before the scan", jpg[:60], 6, "unexpected EOF"},
		{"no scan", []byte("\xff\xd8\xff\xd9"), 6, "end-of-image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exif.WithOrientation(tt.data, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %q", err, tt.msg)
			}
			if out != nil {
				t.Error("output returned with an error")
			}
		})
	}
}

func TestOrientationOutOfRange(t *testing.T) {
	jpg := encodeJPEG(t, gridImage(8, 8), 90)
	for _, o := range []int{0, 9, 255, 0xffff} {
		out, err := exif.WithOrientation(jpg, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := Orientation(out, JPEG); got != 1 {
			t.Errorf("stored %d: Orientation = %d, want 1", o, got)
		}
	}
}

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// tiffWith builds a TIFF structure by hand: entries are (tag, type, count,
// 4-byte value field) in IFD0 at ifdOff; next is the next-IFD offset.
func tiffWith(order byteOrder, ifdOff uint32, count uint16, next uint32, entries ...[4]uint32) []byte {
	b := make([]byte, 8)
	if order == byteOrder(binary.LittleEndian) {
		copy(b, "II")
	} else {
		copy(b, "MM")
	}
	order.PutUint16(b[2:], 42)
	order.PutUint32(b[4:], ifdOff)
	for uint32(len(b)) < ifdOff && ifdOff < 1<<16 {
		b = append(b, 0)
	}
	b = order.AppendUint16(b, count)
	for _, e := range entries {
		b = order.AppendUint16(b, uint16(e[0]))
		b = order.AppendUint16(b, uint16(e[1]))
		b = order.AppendUint32(b, e[2])
		if e[1] == 3 { // SHORT: left-justified in the value field
			b = order.AppendUint16(b, uint16(e[3]))
			b = order.AppendUint16(b, 0)
		} else if e[1] == 1 {
			b = append(b, byte(e[3]), 0, 0, 0)
		} else {
			b = order.AppendUint32(b, e[3])
		}
	}
	return order.AppendUint32(b, next)
}

func TestExifOrientationParsing(t *testing.T) {
	le, be := byteOrder(binary.LittleEndian), byteOrder(binary.BigEndian)
	other := [4]uint32{0x010f, 2, 4, 0x41414141} // Make, ASCII
	tests := []struct {
		name string
		b    []byte
		want int
	}{
		{"little-endian SHORT", tiffWith(le, 8, 2, 0, other, [4]uint32{0x0112, 3, 1, 6}), 6},
		{"big-endian SHORT", tiffWith(be, 8, 2, 0, other, [4]uint32{0x0112, 3, 1, 8}), 8},
		{"our writer, both orders", exif.TIFF(le, 5), 5},
		{"our writer, big-endian", exif.TIFF(be, 7), 7},
		{"IFD0 after padding", tiffWith(be, 40, 1, 0, [4]uint32{0x0112, 3, 1, 3}), 3},
		{"LONG type", tiffWith(le, 8, 1, 0, [4]uint32{0x0112, 4, 1, 2}), 2},
		{"BYTE type", tiffWith(le, 8, 1, 0, [4]uint32{0x0112, 1, 1, 4}), 4},
		{"RATIONAL type is garbage", tiffWith(le, 8, 1, 0, [4]uint32{0x0112, 5, 1, 6}), 1},
		{"count 0", tiffWith(le, 8, 1, 0, [4]uint32{0x0112, 3, 0, 6}), 1},
		{"value 0", tiffWith(le, 8, 1, 0, [4]uint32{0x0112, 3, 1, 0}), 1},
		{"value 9", tiffWith(le, 8, 1, 0, [4]uint32{0x0112, 3, 1, 9}), 1},
		{"no orientation tag", tiffWith(le, 8, 1, 0, other), 1},
		{"IFD0 offset past the end", tiffWith(le, 0xfffffff0, 1, 0), 1},
		{"IFD0 offset inside the header", tiffWith(le, 4, 1, 0), 1},
		{"IFD0 offset at the last byte", append(tiffWith(le, 8, 0, 0)[:8:8], 0), 1},
		{"entry count far beyond the data", tiffWith(le, 8, 0xffff, 0, [4]uint32{0x0112, 3, 1, 6}), 6},
		{"entry count beyond the data, tag missing", tiffWith(le, 8, 0xffff, 0, other), 1},
		{"next-IFD loop to itself", tiffWith(le, 8, 1, 8, other), 1},
		{"next-IFD loop, tag present", tiffWith(be, 8, 1, 8, [4]uint32{0x0112, 3, 1, 6}), 6},
		{"bad magic", append([]byte("II\x2b\x00"), tiffWith(le, 8, 1, 0, [4]uint32{0x0112, 3, 1, 6})[4:]...), 1},
		{"bad byte order", append([]byte("XX"), exif.TIFF(le, 6)[2:]...), 1},
		{"header only", []byte("MM\x00*"), 1},
		{"empty", nil, 1},
		{"garbage", bytes.Repeat([]byte{0xa5}, 300), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exifOrientation(tt.b); got != tt.want {
				t.Fatalf("exifOrientation = %d, want %d", got, tt.want)
			}
			// The same bytes as a TIFF file and inside a JPEG APP1.
			if got := Orientation(tt.b, TIFF); got != tt.want {
				t.Errorf("Orientation(TIFF) = %d, want %d", got, tt.want)
			}
			if len(tt.b) < 65000 {
				jpg := insertAPP1(t, encodeJPEG(t, gridImage(8, 8), 90), tt.b)
				if got := Orientation(jpg, JPEG); got != tt.want {
					t.Errorf("Orientation(JPEG) = %d, want %d", got, tt.want)
				}
			}
		})
	}
}

// insertAPP1 puts an "Exif\0\0"+tiff APP1 segment right after SOI.
func insertAPP1(t testing.TB, jpg, tiff []byte) []byte {
	t.Helper()
	out := append([]byte{}, jpg[:2]...)
	out = append(out, exif.Segment(tiff)...)
	return append(out, jpg[2:]...)
}

func TestOrientationContainers(t *testing.T) {
	grid := gridImage(gridW, gridH)
	pngb := encodePNG(t, grid)
	jpg := encodeJPEG(t, grid, 90)
	lossy := readTestdata(t, "lossy.webp")
	vp8 := riffChunk(lossy, "VP8 ")
	vp8x := string([]byte{0x08, 0, 0, 0, gridW - 1, 0, 0, gridH - 1, 0, 0}) // EXIF flag
	hugeAPP1 := append([]byte{}, jpg[:2]...)
	hugeAPP1 = append(hugeAPP1, 0xff, 0xe1, 0xff, 0xff) // length runs past the end
	hugeAPP1 = append(hugeAPP1, "Exif\x00\x00"...)
	hugeAPP1 = append(hugeAPP1, exif.TIFF(binary.BigEndian, 6)...)

	tests := []struct {
		name string
		data []byte
		f    Format
		want int
	}{
		{"png eXIf", pngWithChunk(t, pngb, "eXIf", exif.TIFF(binary.BigEndian, 7)), PNG, 7},
		{"png eXIf with an Exif prefix", pngWithChunk(t, pngb, "eXIf", append([]byte("Exif\x00\x00"), exif.TIFF(binary.LittleEndian, 3)...)), PNG, 3},
		{"png eXIf garbage", pngWithChunk(t, pngb, "eXIf", []byte("not a tiff at all")), PNG, 1},
		{"png without eXIf", pngb, PNG, 1},
		{"png chunk length past the end", append(pngHeaderOnly(4, 4, 8, 2), 0x7f, 0xff, 0xff, 0xff, 'e', 'X', 'I', 'f'), PNG, 1},
		{"webp from cwebp -metadata exif", readTestdata(t, "orient6.webp"), WebP, 6},
		{"webp hand-built EXIF chunk", riffFile([2]string{"VP8X", vp8x}, [2]string{"VP8 ", string(vp8)}, [2]string{"EXIF", string(exif.TIFF(binary.LittleEndian, 8))}), WebP, 8},
		{"webp odd-sized chunk before EXIF", riffFile([2]string{"VP8X", vp8x}, [2]string{"XYZW", "odd"}, [2]string{"EXIF", string(exif.TIFF(binary.BigEndian, 2))}), WebP, 2},
		{"webp without EXIF", lossy, WebP, 1},
		{"webp chunk size past the end", append(riffFile([2]string{"VP8X", vp8x}), "EXIF\xff\xff\xff\x7f"...), WebP, 1},
		{"jpeg from exiftool (little-endian, full IFD0)", readTestdata(t, "exiftool8.jpg"), JPEG, 8},
		{"jpeg APP1 length past the end", hugeAPP1, JPEG, 1},
		{"jpeg without Exif", jpg, JPEG, 1},
		{"tiff from exiftool", readTestdata(t, "orient3.tiff"), TIFF, 3},
		{"tiff from Go (no tag)", encodeTIFF(t, grid, 0), TIFF, 1},
		{"sniffed when format is empty", readTestdata(t, "exiftool8.jpg"), "", 8},
		{"gif has no EXIF", encodeGIF(t, palettedGrid()), GIF, 1},
		{"bmp has no EXIF", encodeBMP(t, grid), BMP, 1},
		{"format mismatch", readTestdata(t, "exiftool8.jpg"), PNG, 1},
		{"unknown format", []byte("hello"), "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Orientation(tt.data, tt.f); got != tt.want {
				t.Fatalf("Orientation = %d, want %d", got, tt.want)
			}
		})
	}
	// The eXIf chunk leaves the PNG decodable (CRC right, chunk ignored).
	if _, err := Decode(pngWithChunk(t, pngb, "eXIf", exif.TIFF(binary.BigEndian, 7)), PNG); err != nil {
		t.Fatalf("decode PNG with eXIf: %v", err)
	}
}
