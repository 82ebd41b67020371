package provision

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeZip writes a zip with the given files (name → mode) and returns its path.
func writeZip(t *testing.T, files map[string]os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "function.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, mode := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("content of " + name))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadPackage(t *testing.T) {
	good := writeZip(t, map[string]os.FileMode{"bootstrap": 0o755, "models/x.dat": 0o644})
	p, err := readPackage(good)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	sum := sha256.Sum256(data)
	if p.sha256 != base64.StdEncoding.EncodeToString(sum[:]) || p.size != int64(len(data)) {
		t.Errorf("package %+v does not match the file's hash/size", p)
	}

	notZip := filepath.Join(t.TempDir(), "bootstrap")
	os.WriteFile(notZip, []byte("#!/bin/sh\n"), 0o755)

	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(t.TempDir(), "nope.zip"), "no such file"},
		{"not a zip", notZip, "not a valid zip"},
		{"no bootstrap", writeZip(t, map[string]os.FileMode{"main": 0o755}), `no "bootstrap" at its root`},
		{"nested bootstrap", writeZip(t, map[string]os.FileMode{"dist/bootstrap": 0o755}), `no "bootstrap" at its root`},
		{"not executable", writeZip(t, map[string]os.FileMode{"bootstrap": 0o644}), "not executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readPackage(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("err = %v, want one naming %s and containing %q", err, tt.path, tt.want)
			}
		})
	}
}
