package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/internal/cli/settings"
	"github.com/facevec/facevec/result"
)

// These tests run the real CLI in-process with the real encoder.

func modelsFlag(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FACEVEC_MODELS")
	if dir == "" {
		dir = filepath.Join("..", "..", "models")
	}
	if _, err := os.Stat(filepath.Join(dir, "dlib_face_recognition_resnet_model_v1.dat")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("models not found in %s", dir)
		}
		t.Skipf("models not found in %s (run `make models`)", dir)
	}
	return dir
}

func fixture(t *testing.T, rel string) string {
	t.Helper()
	dir, err := fixtures.Dir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, rel)
}

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"encode"},
		{"encode", "--detector", "sift", "x.jpg"},
		{"encode", "--upsample", "-1", "x.jpg"},
		{"encode", "--no-such-flag", "x.jpg"},
		{"recognize", "only-one-arg"},
		{"annotate", "x.jpg"},
		{"stack", "--concurrency", "-1"},
		{"recognize", "--tolerance", "NaN", ".", "x.jpg"},
		{"recognize", "--tolerance", "+Inf", ".", "x.jpg"},
		{"stack", "--concurrency", "0"},
		{"demo", "--concurrency", "-1"},
		{"backfill", "--function", "f"},
		{"backfill", "--bucket", "b"},
		{"backfill", "--bucket", "b", "--function", "f", "--parallel", "0"},
		{"backfill", "--bucket", "b", "--function", "f", "extra"},
	} {
		code, _, stderr := run(t, args...)
		if code != ExitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, ExitUsage)
		}
		if !strings.Contains(stderr, "usage") {
			t.Errorf("%q: stderr has no usage: %q", args, stderr)
		}
	}
}

func decodeLines(t *testing.T, s string) []result.Result {
	t.Helper()
	var out []result.Result
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r result.Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func TestEncodeLinesInOrderWithErrors(t *testing.T) {
	models := modelsFlag(t)
	hopper := fixture(t, "people/grace hopper.jpg")
	group := fixture(t, "group/équipe 4.jpg")
	bad := fixture(t, "bad/truncated.jpg")
	missing := filepath.Join(t.TempDir(), "nope.jpg")
	code, stdout, _ := run(t, "encode", "--models", models, "--workers", "2", hopper, bad, missing, group)
	if code != ExitError {
		t.Errorf("exit %d, want 1 (some inputs failed)", code)
	}
	rs := decodeLines(t, stdout)
	if len(rs) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(rs), stdout)
	}
	wantFiles := []string{hopper, bad, missing, group}
	for i, r := range rs {
		if r.Source.File != wantFiles[i] {
			t.Errorf("line %d is %q, want %q (input order)", i, r.Source.File, wantFiles[i])
		}
		if r.Schema != result.Schema {
			t.Errorf("line %d schema %q", i, r.Schema)
		}
	}
	if len(rs[0].Faces) != 1 || len(rs[0].Faces[0].Descriptor) != 128 || rs[0].Error != nil {
		t.Errorf("hopper: %d faces, error %v", len(rs[0].Faces), rs[0].Error)
	}
	if rs[1].Error == nil || rs[1].Error.Code != result.CodeDecodeFailed {
		t.Errorf("truncated: error %+v, want decode_failed", rs[1].Error)
	}
	if rs[2].Error == nil || rs[2].Error.Code != result.CodeNotFound || !strings.Contains(rs[2].Error.Message, "nope.jpg") {
		t.Errorf("missing file: error %+v, want not_found naming the file", rs[2].Error)
	}
	if len(rs[3].Faces) != 4 {
		t.Errorf("group: %d faces, want 4", len(rs[3].Faces))
	}
}

// TestEncodeWarningsOnStderr: libjpeg's warnings about a sloppy file go to
// stderr with the file's name; stdout stays pure JSON Lines.
func TestEncodeWarningsOnStderr(t *testing.T) {
	models := modelsFlag(t)
	data, err := os.ReadFile(fixture(t, "people/grace hopper.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	data, err = fixtures.SloppyJPEG(data)
	if err != nil {
		t.Fatal(err)
	}
	sloppy := filepath.Join(t.TempDir(), "sloppy.jpg")
	if err := os.WriteFile(sloppy, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "encode", "--models", models, sloppy)
	if code != ExitOK {
		t.Errorf("exit %d, want 0 (a warning is not a failure)", code)
	}
	if rs := decodeLines(t, stdout); len(rs) != 1 || len(rs[0].Faces) != 1 {
		t.Errorf("stdout: %s", stdout)
	}
	if want := sloppy + ": warning: libjpeg: " + fixtures.SloppyJPEGWarning; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
}

func TestEncodeDirectoryWalkAndExit0(t *testing.T) {
	models := modelsFlag(t)
	dir := t.TempDir()
	data, err := os.ReadFile(fixture(t, "people/hopper-half.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "b.jpg"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "a.jpg"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("skipped: not an image extension"), 0o644)
	code, stdout, stderr := run(t, "encode", "--models", models, dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rs := decodeLines(t, stdout)
	if len(rs) != 2 || !strings.HasSuffix(rs[0].Source.File, "a.jpg") || !strings.HasSuffix(rs[1].Source.File, filepath.Join("sub", "b.jpg")) {
		t.Fatalf("walked %d files: %+v", len(rs), rs)
	}
	if result.Distance(rs[0].Faces[0].Descriptor, rs[1].Faces[0].Descriptor) != 0 {
		t.Error("same bytes, different descriptors")
	}
}

// TestRecognizeEmptyKnownDir: with no known face every face is unknown;
// the user is told why instead of getting silent unknown_person lines.
func TestRecognizeEmptyKnownDir(t *testing.T) {
	models := modelsFlag(t)
	code, stdout, stderr := run(t, "recognize", "--models", models, t.TempDir(), fixture(t, "people/hopper-crop.jpg"))
	if code != ExitOK || !strings.HasSuffix(stdout, ",unknown_person\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "WARNING: no known face in") {
		t.Errorf("stderr %q does not warn about the empty KNOWN_DIR", stderr)
	}
}

func TestRecognizeCSV(t *testing.T) {
	models := modelsFlag(t)
	known := t.TempDir()
	for name, rel := range map[string]string{"hopper": "people/hopper-crop.jpg", "collins": "people/collins-crop.jpg"} {
		data, err := os.ReadFile(fixture(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(known, name+".jpg"), data, 0o644)
	}
	unknown := t.TempDir()
	for name, rel := range map[string]string{"u1.jpg": "people/hopper-mirror.jpg", "u2.png": "noface/chelsea the cat.png"} {
		data, err := os.ReadFile(fixture(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(unknown, name), data, 0o644)
	}
	code, stdout, stderr := run(t, "recognize", "--models", models, known, unknown)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := filepath.Join(unknown, "u1.jpg") + ",hopper\n" + filepath.Join(unknown, "u2.png") + ",no_persons_found\n"
	if stdout != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", stdout, want)
	}
	_, stdout, _ = run(t, "recognize", "--models", models, "--show-distance", "--tolerance", "0.01", known, filepath.Join(unknown, "u1.jpg"))
	if stdout != filepath.Join(unknown, "u1.jpg")+",unknown_person,None\n" {
		t.Errorf("tight tolerance: %q, want unknown_person,None", stdout)
	}
	_, stdout, _ = run(t, "recognize", "--models", models, "--show-distance", known, filepath.Join(unknown, "u1.jpg"))
	fields := strings.Split(strings.TrimSpace(stdout), ",")
	if len(fields) != 3 || fields[1] != "hopper" || !strings.HasPrefix(fields[2], "0.") {
		t.Errorf("--show-distance: %q", stdout)
	}
}

func TestAnnotateWritesPNG(t *testing.T) {
	models := modelsFlag(t)
	out := filepath.Join(t.TempDir(), "out.png")
	code, _, stderr := run(t, "annotate", "--models", models, fixture(t, "people/grace hopper.jpg"), "-o", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 600 {
		t.Errorf("annotated image %v, want 512x600", b)
	}
	// The box's top edge is drawn in pure green somewhere around (180..366, 139).
	green := 0
	for x := 180; x < 366; x++ {
		r, g, b, _ := img.At(x, 140).RGBA()
		if r == 0 && g == 0xffff && b == 0 {
			green++
		}
	}
	if green < 100 {
		t.Errorf("only %d green pixels on the box's top edge", green)
	}
	if !strings.Contains(stderr, "1 face") {
		t.Errorf("stderr %q", stderr)
	}
}

// TestEncodeDoesNotHangOnSpecialFiles: a FIFO in a directory (opening it
// blocks until a writer comes) and /dev/zero (never ends) each get an error
// line at once instead of a hang or gigabytes of memory; a worker count
// far past the CPUs is capped instead of loading a network copy per worker.
func TestEncodeDoesNotHangOnSpecialFiles(t *testing.T) {
	models := modelsFlag(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "stuck.jpg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var code int
	var stdout, stderr string
	go func() {
		defer close(done)
		code, stdout, stderr = run(t, "encode", "--models", models, "--workers", "100000", dir, "/dev/zero", fixture(t, "people/hopper-crop.jpg"))
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		// Unblock the open so the goroutine can end, then fail.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatal("encode hung on a FIFO or /dev/zero")
	}
	rs := decodeLines(t, stdout)
	if code != ExitError || len(rs) != 3 {
		t.Fatalf("exit %d, %d results, want 1 and 3:\n%s\n%s", code, len(rs), stdout, stderr)
	}
	for i, want := range []string{"a named pipe", "a character device"} {
		if rs[i].Error == nil || !strings.Contains(rs[i].Error.Message, "not a regular file ("+want+")") {
			t.Errorf("result %d: %+v, want an error saying it is %s", i, rs[i].Error, want)
		}
	}
	if rs[2].Error != nil || len(rs[2].Faces) != 1 {
		t.Errorf("the photo: %+v", rs[2])
	}
	if !strings.Contains(stderr, "--workers 100000 capped at") {
		t.Errorf("stderr does not say the workers were capped: %q", stderr)
	}
}

// TestEncodeStopsWhenInterrupted: a cancelled run (SIGINT, SIGTERM) starts
// no more images and reports the rest as interrupted, one line each.
func TestEncodeStopsWhenInterrupted(t *testing.T) {
	models := modelsFlag(t)
	var files []string
	for range 6 {
		files = append(files, fixture(t, "people/hopper-crop.jpg"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := Main(ctx, append([]string{"encode", "--models", models, "--workers", "1"}, files...), IO{Stdout: &stdout, Stderr: &stderr})
	rs := decodeLines(t, stdout.String())
	if code != ExitError || len(rs) != len(files) {
		t.Fatalf("exit %d, %d results, want 1 and %d", code, len(rs), len(files))
	}
	for _, r := range rs {
		if r.Error == nil || r.Error.Code != result.CodeTimeout || !strings.Contains(r.Error.Message, "interrupted") {
			t.Errorf("%s: %+v, want an interrupted error", r.Source.File, r.Error)
		}
	}
}

// TestEncodeBoundsReadsByDefault: without --max-bytes, a file over the
// default bound (a sparse 257 MiB file: nothing is really read) is refused
// as too_large from its size, not read into memory.
func TestEncodeBoundsReadsByDefault(t *testing.T) {
	models := modelsFlag(t)
	big := filepath.Join(t.TempDir(), "huge.jpg")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(settings.DefaultMaxBytes + 1<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, stdout, _ := run(t, "encode", "--models", models, big)
	rs := decodeLines(t, stdout)
	if code != ExitError || len(rs) != 1 || rs[0].Error == nil || rs[0].Error.Code != result.CodeTooLarge {
		t.Fatalf("exit %d, results %s; want one too_large", code, stdout)
	}
}
