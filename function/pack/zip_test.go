package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tree makes a package directory the way a build under umask 077 leaves
// it: everything private to its owner.
func tree(t *testing.T, mtime time.Time) string {
	t.Helper()
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "models"), 0o777); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{
		"bootstrap": 0o777, "models/frontal_face_detector.dat": 0o600, "models/b.dat": 0o644,
	} {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, []byte("content of "+name), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestWriteNormalisesModesAndIsReproducible(t *testing.T) {
	var a, b bytes.Buffer
	if err := Write(&a, tree(t, time.Now())); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, tree(t, time.Now().Add(-48*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two builds of the same files at other times gave different zips")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(zr); err != nil {
		t.Fatalf("Check of a written package: %v", err)
	}
	want := map[string]string{
		"bootstrap": "-rwxr-xr-x", "models/": "drwxr-xr-x",
		"models/b.dat": "-rw-r--r--", "models/frontal_face_detector.dat": "-rw-r--r--",
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if got := f.Mode().String(); got != want[f.Name] {
			t.Errorf("%s: mode %s, want %s", f.Name, got, want[f.Name])
		}
		if !f.Modified.Equal(fixedTime) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, fixedTime)
		}
	}
	if got := strings.Join(names, ","); got != "bootstrap,models/,models/b.dat,models/frontal_face_detector.dat" {
		t.Errorf("entries %s, not sorted", got)
	}
}

// zipWith builds a package whose entries have the given modes, as a plain
// `zip -r` of files on disk would keep them.
func zipWith(t *testing.T, modes map[string]os.FileMode) *zip.Reader {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, mode := range modes {
		hdr := &zip.FileHeader{Name: name}
		hdr.SetMode(mode)
		if _, err := zw.CreateHeader(hdr); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

func TestCheckRefusesWhatLambdaCannotRead(t *testing.T) {
	tests := []struct {
		name  string
		modes map[string]os.FileMode
		want  string
	}{
		{"0600 model file", map[string]os.FileMode{"bootstrap": 0o755, "models/frontal_face_detector.dat": 0o600}, "models/frontal_face_detector.dat"},
		{"private bootstrap", map[string]os.FileMode{"bootstrap": 0o700}, "bootstrap"},
		{"bootstrap not executable", map[string]os.FileMode{"bootstrap": 0o644}, "not executable"},
		{"closed directory", map[string]os.FileMode{"bootstrap": 0o755, "models/": os.ModeDir | 0o700}, "models/"},
		{"no bootstrap", map[string]os.FileMode{"main": 0o755}, "no bootstrap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(zipWith(t, tt.modes))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want an error naming %q", err, tt.want)
			}
			if tt.name != "no bootstrap" && !errors.Is(err, ErrUnreadable) {
				t.Errorf("Check = %v, want ErrUnreadable", err)
			}
		})
	}
	if err := Check(zipWith(t, map[string]os.FileMode{"bootstrap": 0o755, "models/": os.ModeDir | 0o755, "models/a.dat": 0o644})); err != nil {
		t.Errorf("Check of a good package: %v", err)
	}
}

func TestRunWritesAReadablePackage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "function.zip")
	if err := run(out, false, []string{tree(t, time.Now())}); err != nil {
		t.Fatal(err)
	}
	if err := run("", true, []string{out}); err != nil {
		t.Fatalf("check of the written package: %v", err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("package file mode %v, %v; want 0644", fi.Mode(), err)
	}
}
