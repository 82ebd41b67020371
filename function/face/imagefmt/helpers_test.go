package imagefmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/facevec/facevec/result"
)

// Test images are a 4x3 grid of flat, well-separated colours: asymmetric
// in every direction (so a wrong flip or rotation shows), and flat enough
// that lossy codecs keep block centres within a small tolerance.
var gridColors = [12]color.NRGBA{
	{230, 30, 30, 255}, {30, 200, 40, 255}, {40, 60, 220, 255}, {240, 220, 40, 255},
	{200, 40, 200, 255}, {40, 210, 210, 255}, {250, 250, 250, 255}, {20, 20, 20, 255},
	{250, 140, 30, 255}, {120, 60, 20, 255}, {130, 130, 130, 255}, {90, 160, 250, 255},
}

const gridW, gridH = 32, 24 // 8x8 blocks

// gridImage is the reference pattern: block (bx, by) has gridColors[by*4+bx].
func gridImage(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, gridColors[(y*3/h)*4+x*4/w])
		}
	}
	return m
}

// checkGrid compares the centre of every block of im with the pattern.
func checkGrid(t *testing.T, im *RGB, tol int) {
	t.Helper()
	if im.Width != gridW || im.Height != gridH {
		t.Fatalf("size %dx%d, want %dx%d", im.Width, im.Height, gridW, gridH)
	}
	for by := range 3 {
		for bx := range 4 {
			want := gridColors[by*4+bx]
			r, g, b := im.RGBAt(bx*8+4, by*8+4)
			if absDiff(r, want.R) > tol || absDiff(g, want.G) > tol || absDiff(b, want.B) > tol {
				t.Errorf("block (%d,%d): got %d,%d,%d want %d,%d,%d (±%d)",
					bx, by, r, g, b, want.R, want.G, want.B, tol)
			}
		}
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// photoImage is a smooth synthetic "photo" for benchmarks: gradients plus
// low-frequency waves, deterministic, compressible like real pictures.
func photoImage(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			v := 0.5 + 0.25*math.Sin(fx*9+fy*4) + 0.25*math.Cos(fy*7-fx*3)
			i := m.PixOffset(x, y)
			m.Pix[i+0] = uint8(255 * fx)
			m.Pix[i+1] = uint8(255 * v)
			m.Pix[i+2] = uint8(255 * fy)
			m.Pix[i+3] = 255
		}
	}
	return m
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pngWithChunk inserts a chunk (with a correct CRC) right after IHDR.
func pngWithChunk(t testing.TB, p []byte, typ string, data []byte) []byte {
	t.Helper()
	const ihdrEnd = 8 + 8 + 13 + 4
	if len(p) < ihdrEnd || string(p[12:16]) != "IHDR" {
		t.Fatal("not a PNG with IHDR first")
	}
	chunk := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(chunk, uint32(len(data)))
	copy(chunk[4:], typ)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, p[ihdrEnd:]...)
}

// pngHeaderOnly is a signature plus a valid IHDR claiming w×h, and nothing
// else: what a decompression-bomb probe looks like.
func pngHeaderOnly(w, h uint32, depth, colorType byte) []byte {
	ihdr := make([]byte, 0, 25)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 13)
	ihdr = append(ihdr, "IHDR"...)
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, colorType, 0, 0, 0)
	ihdr = binary.BigEndian.AppendUint32(ihdr, crc32.ChecksumIEEE(ihdr[4:]))
	return append([]byte("\x89PNG\r\n\x1a\n"), ihdr...)
}

// riffFile assembles a RIFF/WEBP file from (FourCC, data) chunks.
func riffFile(chunks ...[2]string) []byte {
	var body []byte
	body = append(body, "WEBP"...)
	for _, c := range chunks {
		body = append(body, c[0]...)
		body = binary.LittleEndian.AppendUint32(body, uint32(len(c[1])))
		body = append(body, c[1]...)
		if len(c[1])%2 == 1 {
			body = append(body, 0)
		}
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	return append(out, body...)
}

// wantCode asserts that err wraps the sentinel of code.
func wantCode(t *testing.T, err error, code result.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := result.CodeOf(err); got != code {
		t.Fatalf("error %q has code %s, want %s", err, got, code)
	}
}

// isSentinel reports whether err wraps one of the decode-related sentinels,
// the only ones this package may return.
func isSentinel(err error) bool {
	return errors.Is(err, result.ErrDecodeFailed) || errors.Is(err, result.ErrUnsupportedFormat) ||
		errors.Is(err, result.ErrTooLarge)
}
