package dlib

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/facevec/facevec/function/face/imagefmt"
	"github.com/facevec/facevec/result"
)

// fuzzDecodeLimits are the brief's bounds: small enough that one input
// never allocates more than ~12 MB of pixels, so the fuzzer finds crashes
// rather than the memory limit.
var fuzzDecodeLimits = imagefmt.Limits{MaxPixels: 4_000_000, MaxBytes: 1 << 20}

// decodeHangLimit is how long one Decode may run while fuzzing before the
// input is reported as a hang. A 1 MiB, 4 MP image decodes in well under a
// second; the limit is far above that so that a loaded machine does not
// produce false reports. It is not applied to the seed run of plain
// `go test`, which has no timing assertions.
const decodeHangLimit = 20 * time.Second

// decodeSeeds are small real files: every container Decode sniffs, and
// both paths (libjpeg and dlib's PNG loader, Go's decoders). Small seeds
// keep each execution of the cgo loaders fast.
var decodeSeeds = []string{
	"../imagefmt/testdata/cmyk.jpg",
	"../imagefmt/testdata/ycck.jpg",
	"../imagefmt/testdata/exiftool8.jpg",
	"../imagefmt/testdata/progressive.jpg",
	"../imagefmt/testdata/orient3.tiff",
	"../imagefmt/testdata/lossy.webp",
	"../imagefmt/testdata/alpha.webp",
	"../imagefmt/testdata/grid.heic",
	"../../../fixtures/noface/1x1.png",
	"../../../fixtures/bad/huge dimensions.png",
	"../../../fixtures/bad/fake.heic",
	"../../../fixtures/bad/not an image.jpg",
}

// FuzzDecode feeds arbitrary bytes through Decode, which hands JPEG and PNG
// to libjpeg and dlib's PNG loader through cgo. It must never crash: a C++
// exception has to come back as a decode_failed error, and a libjpeg or
// libpng abort (exit, longjmp past Go frames) would kill the fuzzing
// process, which the fuzzer reports with the input. Every error carries a
// result code a user can act on; every image that decodes is consistent
// with the limits.
func FuzzDecode(f *testing.F) {
	for _, p := range decodeSeeds {
		b, err := os.ReadFile(filepath.FromSlash(p))
		if err != nil {
			f.Fatalf("seed %s: %v", p, err)
		}
		f.Add(b)
	}
	f.Add(seedJPEG(f, 16, 12, false))
	f.Add(seedJPEG(f, 9, 7, true))
	f.Add(seedPNG(f, image.NewNRGBA64(image.Rect(0, 0, 6, 5))))
	f.Add(seedPNG(f, image.NewGray(image.Rect(0, 0, 7, 3))))
	f.Add(seedPNG(f, image.NewPaletted(image.Rect(0, 0, 5, 5), color.Palette{color.Black, color.White})))
	f.Add(pngHeader(2000, 2001)) // just under MaxPixels, but no image data
	f.Add([]byte{})

	f.Fuzz(checkDecode)
}

// FuzzDecodeJPEGScan keeps a valid baseline JPEG header and fuzzes only
// the entropy-coded scan data (EOI appended), so that every input gets
// past the Go header checks into libjpeg's Huffman decoder. FuzzDecode's
// coverage guidance sees only Go code and rarely gets that deep.
func FuzzDecodeJPEGScan(f *testing.F) {
	full := seedJPEG(f, 24, 16, false)
	header, scan := splitJPEGScan(f, full)
	f.Add(scan)
	f.Add(scan[:len(scan)/2])
	f.Add([]byte{0xff, 0x92})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, scan []byte) {
		checkDecode(t, append(append(bytes.Clone(header), scan...), 0xff, 0xd9))
	})
}

// FuzzDecodePNGData keeps a valid IHDR and fuzzes the zlib stream of the
// one IDAT chunk (CRCs recomputed), so that every input reaches libpng's
// inflate and row filters.
func FuzzDecodePNGData(f *testing.F) {
	for _, img := range []image.Image{
		image.NewNRGBA(image.Rect(0, 0, 9, 7)),
		image.NewGray16(image.Rect(0, 0, 5, 4)),
		image.NewPaletted(image.Rect(0, 0, 6, 6), color.Palette{color.Black, color.White}),
	} {
		png := seedPNG(f, img)
		ihdr, idat := splitPNG(f, png)
		f.Add(ihdr, idat)
	}
	f.Fuzz(func(t *testing.T, ihdr, idat []byte) {
		if len(ihdr) != 13 {
			return
		}
		var b bytes.Buffer
		b.WriteString("\x89PNG\r\n\x1a\n")
		pngChunk(&b, "IHDR", ihdr)
		pngChunk(&b, "IDAT", idat)
		pngChunk(&b, "IEND", nil)
		checkDecode(t, b.Bytes())
	})
}

// hangAfter is decodeHangLimit while fuzzing and 0 (no watchdog) in the
// seed run of plain `go test`.
var hangAfter = sync.OnceValue(func() time.Duration {
	if fl := flag.Lookup("test.fuzz"); fl != nil && fl.Value.String() != "" {
		return decodeHangLimit
	}
	return 0
})

// checkDecode runs Decode on one input and checks what must hold for every
// input: no crash, no hang, an error with a code a user can act on, or an
// image consistent with the limits.
func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	if d := hangAfter(); d > 0 {
		// The fuzzer has no per-input timeout: a decoder that spins would
		// only stall the run. Crashing the worker makes it record the input.
		w := time.AfterFunc(d, func() {
			panic(fmt.Sprintf("Decode of %d bytes still running after %v: the decoder hangs on this input", len(data), d))
		})
		defer w.Stop()
	}
	img, info, err := Decode(data, fuzzDecodeLimits)
	if err != nil {
		if img != nil {
			t.Fatalf("image returned together with error %v", err)
		}
		switch code := result.CodeOf(err); code {
		case result.CodeUnsupportedFormat, result.CodeDecodeFailed, result.CodeTooLarge:
		default:
			t.Fatalf("error %q has code %q; want unsupported_format, decode_failed or too_large", err, code)
		}
		if err.Error() == "" {
			t.Fatal("error without a message")
		}
		return
	}
	if img == nil {
		t.Fatal("nil image without an error")
	}
	if img.Width <= 0 || img.Height <= 0 || int64(img.Width)*int64(img.Height) > fuzzDecodeLimits.MaxPixels {
		t.Fatalf("decoded %dx%d, outside (0, %d] pixels", img.Width, img.Height, fuzzDecodeLimits.MaxPixels)
	}
	if len(img.Pix) != img.Width*img.Height*3 {
		t.Fatalf("%dx%d image has %d bytes of pixels, want %d", img.Width, img.Height, len(img.Pix), img.Width*img.Height*3)
	}
	if info.Width != img.Width || info.Height != img.Height {
		t.Fatalf("info says %dx%d, image is %dx%d", info.Width, info.Height, img.Width, img.Height)
	}
	if info.EXIFOrientation < 1 || info.EXIFOrientation > 8 || info.Format == "" {
		t.Fatalf("implausible image info %+v", info)
	}
}

// splitJPEGScan splits a single-scan JPEG into everything up to the end of
// the SOS segment and the entropy-coded data before EOI.
func splitJPEGScan(tb testing.TB, b []byte) (header, scan []byte) {
	tb.Helper()
	sos := bytes.Index(b, []byte{0xff, 0xda})
	if sos < 0 || len(b) < sos+4 || !bytes.HasSuffix(b, []byte{0xff, 0xd9}) {
		tb.Fatal("not a single-scan JPEG")
	}
	end := sos + 2 + int(b[sos+2])<<8 | int(b[sos+3])
	return b[:end], b[end : len(b)-2]
}

// splitPNG returns the IHDR data and the concatenated IDAT data of a PNG.
func splitPNG(tb testing.TB, b []byte) (ihdr, idat []byte) {
	tb.Helper()
	for p := 8; p+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[p:]))
		typ, data := string(b[p+4:p+8]), b[p+8:p+8+n]
		switch typ {
		case "IHDR":
			ihdr = data
		case "IDAT":
			idat = append(idat, data...)
		}
		p += 12 + n
	}
	if len(ihdr) != 13 || len(idat) == 0 {
		tb.Fatal("PNG without IHDR or IDAT")
	}
	return ihdr, idat
}

func pngChunk(b *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(data)))
	c := append([]byte(typ), data...)
	b.Write(c)
	_ = binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(c))
}

func seedJPEG(tb testing.TB, w, h int, gray bool) []byte {
	tb.Helper()
	var img image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = uint8(i * 7)
		}
		img = g
	} else {
		c := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range c.Pix {
			c.Pix[i] = uint8(i*13 + i/7)
		}
		img = c
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 75}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func seedPNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}
