package dlib

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/imagefmt"
	"github.com/facevec/facevec/result"
)

// pngHeader builds a tiny, valid-CRC PNG whose IHDR claims w x h pixels:
// a decompression bomb in 60 bytes.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		b.Write(c)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func plainJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBadInputs(t *testing.T) {
	e := testEncoder(t)
	good := plainJPEG(t, 200, 150)
	tests := []struct {
		name   string
		data   []byte
		limits imagefmt.Limits
		want   error
		msg    string // a word the message must contain
	}{
		{"zero bytes", nil, imagefmt.Limits{}, result.ErrDecodeFailed, "empty"},
		{"truncated jpeg", good[:len(good)/2], imagefmt.Limits{}, result.ErrDecodeFailed, "truncated"},
		{"jpeg header only", good[:20], imagefmt.Limits{}, result.ErrDecodeFailed, ""},
		{"text file", []byte("hello, this is not an image\n"), imagefmt.Limits{}, result.ErrUnsupportedFormat, "text"},
		{"pdf", []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"), imagefmt.Limits{}, result.ErrUnsupportedFormat, "PDF"},
		{"heic", append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...), imagefmt.Limits{}, result.ErrUnsupportedFormat, "HEIC"},
		{"50000x50000 png header", pngHeader(50000, 50000), imagefmt.Limits{MaxPixels: 50_000_000}, result.ErrTooLarge, "50000"},
		{"over max bytes", good, imagefmt.Limits{MaxBytes: int64(len(good) - 1)}, result.ErrTooLarge, "bytes"},
		{"zero-size png", pngHeader(0, 10), imagefmt.Limits{}, result.ErrDecodeFailed, ""},
		{"corrupt png data", pngHeader(64, 64), imagefmt.Limits{}, result.ErrDecodeFailed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := e.Encode(context.Background(), tc.data, face.Params{Limits: tc.limits})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if r == nil || r.Error == nil {
				t.Fatalf("result has no error: %+v", r)
			}
			if r.Error.Code != result.CodeOf(tc.want) {
				t.Errorf("code %q, want %q", r.Error.Code, result.CodeOf(tc.want))
			}
			if len(r.Faces) != 0 || r.Faces == nil {
				t.Errorf("faces = %v, want []", r.Faces)
			}
			if !strings.Contains(strings.ToLower(r.Error.Message), strings.ToLower(tc.msg)) {
				t.Errorf("message %q does not mention %q", r.Error.Message, tc.msg)
			}
		})
	}
}

func TestInvalidParams(t *testing.T) {
	e := testEncoder(t)
	for _, p := range []face.Params{{Detector: "sift"}, {Upsample: -1}, {Upsample: 9}, {Jitter: 1000}, {MaxSide: -5}} {
		if _, err := e.Encode(context.Background(), plainJPEG(t, 20, 20), p); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}

func TestNoFaceImage(t *testing.T) {
	e := testEncoder(t)
	r := mustEncode(t, e, plainJPEG(t, 320, 240), face.Params{Upsample: 1})
	if len(r.Faces) != 0 {
		t.Errorf("%d faces in a gradient", len(r.Faces))
	}
	if r.Image.Width != 320 || r.Image.Height != 240 || r.Image.Format != "jpeg" {
		t.Errorf("image info %+v", r.Image)
	}
}

func TestCancelledContext(t *testing.T) {
	e := testEncoder(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := e.Encode(ctx, plainJPEG(t, 64, 64), face.Params{})
	if !errors.Is(err, result.ErrTimeout) || r.Error == nil || r.Error.Code != result.CodeTimeout {
		t.Fatalf("err %v, result error %+v; want timeout", err, r.Error)
	}
}

// TestDlibDecodeChecksSize: JPEG and PNG decode straight into a buffer
// sized from the header, so a file that decodes to any other size must be
// refused, not written past or left half-filled.
func TestDlibDecodeChecksSize(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 40, 30))
	var jpg, pngb bytes.Buffer
	if err := jpeg.Encode(&jpg, src, nil); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&pngb, src); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		data []byte
		jpeg bool
	}{{"jpeg", jpg.Bytes(), true}, {"png", pngb.Bytes(), false}} {
		if pix, _, err := dlibDecode(f.data, f.jpeg, 40, 30); err != nil || len(pix) != 40*30*3 {
			t.Fatalf("%s, right size: %d bytes, %v", f.name, len(pix), err)
		}
		for _, sz := range [][2]int{{41, 30}, {40, 29}, {30, 40}} {
			_, _, err := dlibDecode(f.data, f.jpeg, sz[0], sz[1])
			if err == nil || !strings.Contains(err.Error(), "40x30 pixels, not the") {
				t.Errorf("%s: decode 40x30 into %dx%d: %v", f.name, sz[0], sz[1], err)
			}
		}
		if _, _, err := dlibDecode(f.data, f.jpeg, 0, 30); err == nil {
			t.Errorf("%s: decode into 0x30: no error", f.name)
		}
	}
}

// TestDecodeKeepsLibjpegWarnings: bytes libjpeg skips give a warning in
// the ImageInfo, not a line on stderr, and the same pixels as the clean file.
func TestDecodeKeepsLibjpegWarnings(t *testing.T) {
	clean := fixtureBytes(t, "people/grace hopper.jpg")
	sloppy, err := fixtures.SloppyJPEG(clean)
	if err != nil {
		t.Fatal(err)
	}
	want, info, err := Decode(clean, imagefmt.Limits{})
	if err != nil || len(info.DecoderWarnings) != 0 {
		t.Fatalf("clean file: %v, warnings %q", err, info.DecoderWarnings)
	}
	got, info, err := Decode(sloppy, imagefmt.Limits{})
	if err != nil {
		t.Fatalf("sloppy file: %v", err)
	}
	if len(info.DecoderWarnings) != 1 || !strings.HasPrefix(info.DecoderWarnings[0], "libjpeg: "+fixtures.SloppyJPEGWarning) {
		t.Errorf("warnings %q, want libjpeg's %q", info.DecoderWarnings, fixtures.SloppyJPEGWarning)
	}
	if !bytes.Equal(got.Pix, want.Pix) {
		t.Error("pixels differ from the clean file's")
	}

	r := mustEncode(t, testEncoder(t), sloppy, face.Params{})
	if len(r.Faces) != 1 || len(r.Image.DecoderWarnings) != 1 {
		t.Errorf("Encode: %d faces, warnings %q; want 1 face and the warning", len(r.Faces), r.Image.DecoderWarnings)
	}
}

// TestTinyImagesBothDetectors: images down to 1 px, and very narrow ones,
// through HOG and the CNN, each twice in one process (a second dlib
// assertion failure would abort it): no faces, no error, no crash. dlib's
// mmod input layer overruns its buffer for images under 10 px wide, which
// Encode must never hand it.
func TestTinyImagesBothDetectors(t *testing.T) {
	e := testEncoder(t)
	for _, sz := range [][2]int{{1, 1}, {8, 8}, {3, 40}, {6, 100}, {9, 100}, {100, 7}, {31, 31}} {
		var b bytes.Buffer
		img := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
		for i := range img.Pix {
			img.Pix[i] = byte(i * 7)
		}
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		for _, p := range []face.Params{{Detector: face.DetectorCNN}, {Detector: face.DetectorCNN, Upsample: 2}, {Detector: face.DetectorHOG, Upsample: 1}} {
			for range 2 {
				r := mustEncode(t, e, b.Bytes(), p)
				if len(r.Faces) != 0 {
					t.Errorf("%dx%d, %+v: %d faces", sz[0], sz[1], p, len(r.Faces))
				}
			}
		}
	}
}

// TestProgressiveJPEG: testdata/progressive.jpg (64x48, a synthetic
// gradient that libjpeg's jpeg_simple_progression wrote in 10 scans)
// decodes; the same file with a scan repeated past the limit is refused
// quickly instead of being decoded once per scan.
func TestProgressiveJPEG(t *testing.T) {
	prog := readFile(t, "testdata/progressive.jpg")
	img, info, err := Decode(prog, imagefmt.Limits{})
	if err != nil || img.Width != 64 || img.Height != 48 || len(info.DecoderWarnings) != 0 {
		t.Fatalf("progressive.jpg: %v, warnings %q", err, info.DecoderWarnings)
	}
	last := bytes.LastIndex(prog, []byte{0xff, 0xda})
	eoi := bytes.LastIndex(prog, []byte{0xff, 0xd9})
	if last < 0 || eoi < last {
		t.Fatal("progressive.jpg: no last scan")
	}
	bomb := bytes.Clone(prog[:eoi])
	for range 1100 {
		bomb = append(bomb, prog[last:eoi]...)
	}
	bomb = append(bomb, 0xff, 0xd9)
	_, _, err = Decode(bomb, imagefmt.Limits{})
	// Each repeat of its last scan also draws libjpeg warnings, and their
	// cap stops it first.
	if result.CodeOf(err) != result.CodeDecodeFailed || !strings.Contains(err.Error(), "progressive JPEG with ") ||
		!strings.Contains(err.Error(), "refused as too costly") {
		t.Errorf("%d scans: %v, want decode_failed for too many scans", bytes.Count(bomb, []byte{0xff, 0xda}), err)
	}
}

// repeatLastScan returns prog with its last scan repeated n more times.
func repeatLastScan(t *testing.T, prog []byte, n int) []byte {
	t.Helper()
	last := bytes.LastIndex(prog, []byte{0xff, 0xda})
	eoi := bytes.LastIndex(prog, []byte{0xff, 0xd9})
	if last < 0 || eoi < last {
		t.Fatal("no last scan")
	}
	bomb := bytes.Clone(prog[:eoi])
	for range n {
		bomb = append(bomb, prog[last:eoi]...)
	}
	return append(bomb, 0xff, 0xd9)
}

// progressiveJPEG encodes a w x h gradient and makes it progressive with
// jpegtran (libjpeg-turbo-progs, installed by make deps): what cameras and
// browsers' "save for web" write.
func progressiveJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	baseline := plainJPEG(t, w, h)
	cmd := exec.Command("jpegtran", "-progressive")
	cmd.Stdin = bytes.NewReader(baseline)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jpegtran -progressive (make deps installs it): %v", err)
	}
	return out
}

// TestProgressiveJPEGScanBudget: a progressive JPEG inside the byte and
// pixel limits whose last scan is repeated (each repeat decodes the whole
// image again: 990 repeats of 6000x4000 took 18 s) is refused once its
// scans times pixels pass the budget, with a decode_failed that says so;
// the same image with its own scans decodes.
func TestProgressiveJPEGScanBudget(t *testing.T) {
	for _, tc := range []struct {
		w, h, repeats int
		want          string
	}{
		// The budget (1e9 pixel-scans, 32 to 1000 scans) stops it.
		{6000, 4000, 990, "progressive JPEG with more than 41 scans for 24000000 pixels"},
		// Each repeat draws libjpeg warnings too; their cap comes first.
		{2000, 1500, 990, "corrupt-data warnings"},
	} {
		t.Run(fmt.Sprintf("%dx%d", tc.w, tc.h), func(t *testing.T) {
			prog := progressiveJPEG(t, tc.w, tc.h)
			if _, _, err := Decode(prog, imagefmt.Limits{}); err != nil {
				t.Fatalf("the progressive image itself: %v", err)
			}
			bomb := repeatLastScan(t, prog, tc.repeats)
			start := time.Now()
			_, _, err := Decode(bomb, imagefmt.Limits{})
			t.Logf("refused in %v: %v", time.Since(start).Round(time.Millisecond), err)
			if result.CodeOf(err) != result.CodeDecodeFailed || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "progressive JPEG with ") {
				t.Errorf("%d KB with %d repeated scans: %v, want decode_failed naming the progressive JPEG and %q", len(bomb)>>10, tc.repeats, err, tc.want)
			}
		})
	}
}
