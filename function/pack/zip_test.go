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

	"github.com/facevec/facevec/internal/lambdazip"
	"github.com/facevec/facevec/internal/lambdazip/lambdaziptest"
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
		data := []byte("content of " + name)
		if name == "bootstrap" {
			data = lambdaziptest.StaticExecutable(t)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
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
	if err := lambdazip.Check(bytes.NewReader(a.Bytes()), int64(a.Len())); err != nil {
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

func TestRunWritesAReadablePackage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "function.zip")
	if err := run(out, false, "x86_64", []string{tree(t, time.Now())}); err != nil {
		t.Fatal(err)
	}
	if err := run("", true, "x86_64", []string{out}); err != nil {
		t.Fatalf("check of the written package: %v", err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("package file mode %v, %v; want 0644", fi.Mode(), err)
	}
}

// TestRunRefusesADynamicBootstrap: make package fails when bootstrap was
// linked dynamically (a build without -extldflags -static).
func TestRunRefusesADynamicBootstrap(t *testing.T) {
	root := tree(t, time.Now())
	dynamic, err := os.ReadFile("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh to serve as a dynamic executable: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, "bootstrap"), dynamic, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "function.zip")
	if err := run(out, false, "x86_64", []string{root}); !errors.Is(err, lambdazip.ErrNotStatic) {
		t.Fatalf("run = %v, want ErrNotStatic", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused package was written to %s (%v)", out, err)
	}
}
