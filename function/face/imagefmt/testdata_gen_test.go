package imagefmt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/gif"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/image/tiff"

	"github.com/facevec/facevec/fixtures/exif"
)

// TestRegenerateTestdata rebuilds the committed files in testdata/ that Go
// cannot encode itself (WebP, CMYK and progressive JPEG, HEIC/AVIF,
// exiftool-written EXIF). It needs cwebp, img2webp, ImageMagick,
// exiftool and Pillow (Debian python3-pil), so it only runs when asked:
//
//	FACEVEC_REGEN_TESTDATA=1 go test -run TestRegenerateTestdata ./function/face/imagefmt/
//
// The other tests then check the decoded pixels against gridImage.
func TestRegenerateTestdata(t *testing.T) {
	if os.Getenv("FACEVEC_REGEN_TESTDATA") == "" {
		t.Skip("set FACEVEC_REGEN_TESTDATA=1 to rebuild testdata/ (needs cwebp, ImageMagick, exiftool)")
	}
	tmp := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(name string, args ...string) {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	td := func(name string) string { return filepath.Join("testdata", name) }
	// The real ImageMagick, not any wrapper earlier in PATH.
	magick := "/usr/bin/convert"

	grid := write("grid.png", encodePNG(t, gridImage(gridW, gridH)))
	alpha := gridImage(gridW, gridH)
	for y := range gridH {
		for x := range gridW / 2 {
			alpha.Pix[alpha.PixOffset(x, y)+3] = 128 // left half translucent
		}
	}
	alphaPNG := write("alpha.png", encodePNG(t, alpha))

	run("cwebp", "-quiet", "-q", "95", grid, "-o", td("lossy.webp"))
	run("cwebp", "-quiet", "-lossless", grid, "-o", td("lossless.webp"))
	run("cwebp", "-quiet", "-q", "95", "-alpha_q", "100", "-exact", alphaPNG, "-o", td("alpha.webp"))
	// Two frames: the decoder must refuse an animation plainly.
	run("img2webp", "-q", "80", grid, alphaPNG, "-o", td("animated.webp"))

	// EXIF orientation 6 carried over from a JPEG by cwebp -metadata exif.
	j6, err := exif.WithOrientation(encodeJPEG(t, gridImage(gridW, gridH), 95), 6)
	if err != nil {
		t.Fatal(err)
	}
	run("cwebp", "-quiet", "-q", "95", "-metadata", "exif", write("o6.jpg", j6), "-o", td("orient6.webp"))

	// ImageMagick's libjpeg writes 4-channel JPEGs as YCCK (Adobe transform
	// 2); Pillow writes plain CMYK (transform 0). Both must decode.
	run(magick, grid, "-colorspace", "CMYK", "-quality", "95", td("ycck.jpg"))
	run("/usr/bin/python3", "-c", "import sys; from PIL import Image; "+
		"Image.open(sys.argv[1]).convert('CMYK').save(sys.argv[2], quality=95)", grid, td("cmyk.jpg"))
	run(magick, grid, "-interlace", "JPEG", "-quality", "95", td("progressive.jpg"))
	run(magick, grid, "-quality", "50", td("grid.heic"))
	run(magick, grid, "-quality", "50", td("grid.avif"))

	// exiftool writes a full Exif block (IFD0 with several entries and an
	// Exif sub-IFD), little-endian here, unlike WithOrientation.
	plain := write("plain.jpg", encodeJPEG(t, gridImage(gridW, gridH), 90))
	run("exiftool", "-q", "-overwrite_original", "-ExifByteOrder=Little-endian",
		"-Orientation#=8", "-Artist=facevec", "-DateTimeOriginal=2024:01:02 03:04:05", plain)
	copyFile(t, plain, td("exiftool8.jpg"))

	var tb bytes.Buffer
	if err := tiff.Encode(&tb, gridImage(gridW, gridH), &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	tf := write("grid.tiff", tb.Bytes())
	run("exiftool", "-q", "-overwrite_original", "-Orientation#=3", tf)
	copyFile(t, tf, td("orient3.tiff"))

	// Odd sizes exercise the edges of the chroma upsampling.
	run("cwebp", "-quiet", "-q", "80", write("odd.png", encodePNG(t, photoImage(33, 25))), "-o", td("odd.webp"))
	// libwebp's own decoding (fancy upsampling, as Pillow uses it) is the
	// reference Decode must match byte for byte.
	for _, n := range []string{"lossy.webp", "alpha.webp", "odd.webp"} {
		run("dwebp", "-quiet", td(n), "-ppm", "-o", td(n+".dwebp.ppm"))
	}

	// A 1 MP photo-like WebP for BenchmarkDecode (Go has no WebP encoder).
	run("cwebp", "-quiet", "-q", "40", write("photo.png", encodePNG(t, photoImage(1024, 1024))), "-o", td("photo1mp.webp"))

	writeFuzzSeeds(t)

	for _, e := range mustReadDir(t, "testdata") {
		if fi, _ := e.Info(); fi != nil && !e.IsDir() && fi.Size() > 20<<10 {
			t.Errorf("testdata/%s is %d bytes, over the 20 KiB budget", e.Name(), fi.Size())
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// writeFuzzSeeds writes small seeds for every fuzz target in the engine's
// corpus format: one tiny file per format and colour model, plus inputs
// that sit on the edges the parsers guard (bomb headers, EXIF loops).
func writeFuzzSeeds(t *testing.T) {
	small := gridImage(8, 6)
	pal := palettedGrid()
	jpg := encodeJPEG(t, small, 80)
	j5, err := exif.WithOrientation(jpg, 5)
	if err != nil {
		t.Fatal(err)
	}
	var gb bytes.Buffer
	frame := image.NewPaletted(image.Rect(2, 1, 6, 4), pal.Palette)
	if err := gif.EncodeAll(&gb, &gif.GIF{
		Image:  []*image.Paletted{frame, image.NewPaletted(image.Rect(0, 0, 8, 6), pal.Palette)},
		Delay:  []int{1, 1},
		Config: image.Config{ColorModel: pal.Palette, Width: 8, Height: 6},
	}); err != nil {
		t.Fatal(err)
	}
	loop := tiffWith(binary.LittleEndian, 8, 0xffff, 8, [4]uint32{0x0112, 3, 1, 6})
	seeds := map[string][]byte{
		"png_rgb":        encodePNG(t, small),
		"png_gray16":     encodePNG(t, image.NewGray16(image.Rect(0, 0, 4, 3))),
		"png_paletted":   encodePNG(t, pal.SubImage(image.Rect(0, 0, 8, 6))),
		"png_exif6":      pngWithChunk(t, encodePNG(t, small), "eXIf", exif.TIFF(binary.BigEndian, 6)),
		"png_bomb":       pngHeaderOnly(50000, 50000, 8, 6),
		"jpeg_exif5":     j5,
		"jpeg_gray":      encodeJPEG(t, image.NewGray(image.Rect(0, 0, 8, 8)), 50),
		"jpeg_truncated": jpg[:len(jpg)/2],
		"gif_two_frames": gb.Bytes(),
		"bmp_24":         encodeBMP(t, small),
		"bmp_8":          encodeBMP(t, image.NewGray(image.Rect(0, 0, 5, 3))),
		"tiff_gray16":    encodeTIFF(t, image.NewGray16(image.Rect(0, 0, 5, 3)), tiff.Deflate),
		"tiff_nrgba":     encodeTIFF(t, translucentGrid().SubImage(image.Rect(0, 0, 4, 4)), tiff.Uncompressed),
		"tiff_exif_loop": loop,
		"webp_exif":      riffFile([2]string{"VP8 ", string(riffChunk(mustRead(t, "testdata/lossy.webp"), "VP8 "))}, [2]string{"EXIF", string(exif.TIFF(binary.LittleEndian, 8))}),
	}
	for _, target := range []string{"FuzzReadHeader", "FuzzOrientation", "FuzzDecode"} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
