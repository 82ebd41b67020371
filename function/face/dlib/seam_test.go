package dlib

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/imagefmt"
	"github.com/facevec/facevec/result"
)

// sixteenBit re-encodes a photo as a 16-bit PNG the way a raw converter
// writes one: each sample v<<8 plus a low byte that varies, so the two
// bytes differ. want is the 8-bit PNG of the same v.
func sixteenBit(t *testing.T, photo []byte, gray bool) (sixteen, want []byte) {
	t.Helper()
	src, _, err := image.Decode(bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	b := src.Bounds()
	var hi, lo image.Image
	if gray {
		g16, g8 := image.NewGray16(b), image.NewGray(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				v := color.GrayModel.Convert(src.At(x, y)).(color.Gray).Y
				g8.SetGray(x, y, color.Gray{v})
				g16.SetGray16(x, y, color.Gray16{uint16(v)<<8 | uint16((x*7+y*13)&0xff)})
			}
		}
		hi, lo = g16, g8
	} else {
		c16, c8 := image.NewNRGBA64(b), image.NewNRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
				c8.SetNRGBA(x, y, c)
				low := func(k int) uint16 { return uint16((x*7 + y*13 + k*31) & 0xff) }
				c16.SetNRGBA64(x, y, color.NRGBA64{uint16(c.R)<<8 | low(0), uint16(c.G)<<8 | low(1), uint16(c.B)<<8 | low(2), 0xffff})
			}
		}
		hi, lo = c16, c8
	}
	enc := func(img image.Image) []byte {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	return enc(hi), enc(lo)
}

// TestSixteenBitPNGKeepsTheHighByte: a 16-bit PNG is the same picture as
// the 8-bit PNG of its high bytes, so it gives the same faces and vectors.
func TestSixteenBitPNGKeepsTheHighByte(t *testing.T) {
	e := testEncoder(t)
	photo := fixtureBytes(t, "people/grace hopper.jpg")
	for _, gray := range []bool{false, true} {
		t.Run(fmt.Sprintf("gray=%v", gray), func(t *testing.T) {
			sixteen, eight := sixteenBit(t, photo, gray)
			if h, err := imagefmt.ReadHeader(sixteen); err != nil || h.BitDepth != 16 {
				t.Fatalf("test image: bit depth %d, %v; want a 16-bit PNG", h.BitDepth, err)
			}
			want := mustEncode(t, e, eight, defaultParams)
			got := mustEncode(t, e, sixteen, defaultParams)
			if len(want.Faces) != 1 || len(got.Faces) != len(want.Faces) {
				t.Fatalf("16-bit PNG: %d faces, 8-bit: %d; want 1 each", len(got.Faces), len(want.Faces))
			}
			if got.Faces[0].Box != want.Faces[0].Box || result.Distance(got.Faces[0].Descriptor, want.Faces[0].Descriptor) != 0 {
				t.Errorf("16-bit PNG box %v, 8-bit %v, distance %g; want the same face exactly",
					got.Faces[0].Box, want.Faces[0].Box, result.Distance(got.Faces[0].Descriptor, want.Faces[0].Descriptor))
			}
		})
	}
}

// TestCNNLoadFailureIsNotRemembered: a CNN detector that cannot be loaded
// once (here: its file is missing) is tried again by the next image.
func TestCNNLoadFailureIsNotRemembered(t *testing.T) {
	src := modelsDir(t)
	dir := t.TempDir()
	for _, f := range []string{face.ShapeFile, face.RecognizerFile, face.HOGFile} {
		if err := os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	e, err := New(dir, WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	photo := fixtureBytes(t, "people/grace hopper.jpg")
	p := defaultParams
	p.Detector = face.DetectorCNN
	if _, err := e.Encode(context.Background(), photo, p); err == nil {
		t.Fatal("CNN encode without the CNN model succeeded")
	}
	if err := os.Symlink(filepath.Join(src, face.CNNFile), filepath.Join(dir, face.CNNFile)); err != nil {
		t.Fatal(err)
	}
	r, err := e.Encode(context.Background(), photo, p)
	if err != nil || len(r.Faces) != 1 {
		t.Fatalf("CNN encode once the model is there: %v, %d faces; want 1 face", err, len(r.Faces))
	}
}

// envSeamChild makes the test binary, run as a child, cap its own address
// space and call New: "workers:headroomMB".
const envSeamChild = "FACEVEC_TEST_SEAM_CHILD"

// TestNewUnderMemoryPressure runs New in a child process whose address
// space is capped a little above what it uses already (setrlimit, what
// ulimit -v does), so that loading or copying the networks fails with
// bad_alloc. New must return an error: not abort (a bad_alloc escaping an
// extern "C" entry calls std::terminate), not hang (waiting for workers it
// never made). The cap is relative to the child's own size, because the Go
// runtime's reservations differ between machines.
func TestNewUnderMemoryPressure(t *testing.T) {
	if arg := os.Getenv(envSeamChild); arg != "" {
		seamChild(t, arg)
		return
	}
	dir := modelsDir(t)
	for _, tc := range []struct {
		name       string
		workers    int
		headroomMB int
		wantError  string
	}{
		// Too little to build even the first networks.
		{"first load", 1, 40, "out of memory"},
		// Enough for a few workers, not for 300 copies.
		{"worker copies", 300, 600, "copy the models for worker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestNewUnderMemoryPressure$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d:%d", envSeamChild, tc.workers, tc.headroomMB), "FACEVEC_MODELS="+dir)
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("New did not return within 3 minutes (a hang):\n%s", out)
			}
			if err != nil {
				t.Fatalf("child died (%v), want an error from New:\n%s", err, out)
			}
			if !strings.Contains(string(out), "child: New failed:") || !strings.Contains(string(out), tc.wantError) {
				t.Errorf("child output, want New to fail with %q:\n%s", tc.wantError, out)
			}
		})
	}
}

func seamChild(t *testing.T, arg string) {
	var workers, headroomMB int
	if _, err := fmt.Sscanf(arg, "%d:%d", &workers, &headroomMB); err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var vmKB uint64
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmSize:"); ok {
			fmt.Sscan(v, &vmKB)
		}
	}
	limit := vmKB<<10 + uint64(headroomMB)<<20
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		t.Fatal(err)
	}
	e, err := New(modelsDir(t), WithWorkers(workers))
	if err == nil {
		e.Close()
		fmt.Println("child: New succeeded")
		return
	}
	fmt.Printf("child: New failed: %v\n", err)
}

// TestMallocArenas builds testdata/arenas, which links this package and
// mallocs on 32 threads at once, and wants one arena: M_ARENA_MAX must be
// set before the Go runtime starts threads, or glibc gives each thread its
// own arena and the warm peak RSS grows past 512 MiB.
func TestMallocArenas(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "arenas")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/arenas").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/arenas: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "1" {
		t.Errorf("%s malloc arenas after 32 threads allocated, want 1", got)
	}
}

// TestDroppedEncoderFreed builds testdata/dropped, which makes four
// encoders of two workers (~100 MB of dlib networks each) and drops them
// without Close: their C memory must come back once the GC has run.
func TestDroppedEncoderFreed(t *testing.T) {
	dir := modelsDir(t)
	bin := filepath.Join(t.TempDir(), "dropped")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/dropped").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/dropped: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("dropped: %v\n%s", err, out)
	}
	var held float64
	if _, err := fmt.Sscanf(string(out), "held %f MB", &held); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if held > 50 {
		t.Errorf("%s: the dropped encoders' networks were not freed", strings.TrimSpace(string(out)))
	}
}
