package lambdasvc

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zipWithLinks builds a zip whose entries may be symlinks (mode has
// os.ModeSymlink, data is the target).
func zipWithLinks(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestUnpackZip(t *testing.T) {
	exe := zipEntry{name: "bootstrap", mode: 0o755, data: []byte("#!/bin/sh\n")}
	link := func(name, target string) zipEntry {
		return zipEntry{name: name, mode: os.ModeSymlink | 0o777, data: []byte(target)}
	}
	file := func(name string) zipEntry { return zipEntry{name: name, mode: 0o644, data: []byte(name)} }
	for _, tc := range []struct {
		name    string
		entries []zipEntry
		limit   int64
		wantErr string // "" for success
	}{
		{"plain", []zipEntry{exe, file("lib/libx.so.1"), {name: "models/", mode: os.ModeDir | 0o755}}, 0, ""},
		{"link inside", []zipEntry{exe, file("lib/libx.so.1"), link("lib/libx.so", "libx.so.1")}, 0, ""},
		{"link to a dir inside", []zipEntry{exe, file("data/a"), link("current", "data")}, 0, ""},
		{"dotdot", []zipEntry{exe, file("../evil")}, 0, "outside the package"},
		{"nested dotdot", []zipEntry{exe, file("a/../../evil")}, 0, "outside the package"},
		{"absolute", []zipEntry{exe, file("/etc/evil")}, 0, "outside the package"},
		{"backslash", []zipEntry{exe, file(`..\evil`)}, 0, "backslash"},
		{"absolute link", []zipEntry{exe, link("etc", "/etc")}, 0, "outside the package"},
		{"escaping link", []zipEntry{exe, link("up", "../../..")}, 0, "outside the package"},
		{"chained escape", []zipEntry{exe, {name: "a/b/", mode: os.ModeDir | 0o755}, {name: "x/", mode: os.ModeDir | 0o755}, link("a/b/l", "../../x"), link("m", "a/b/l/../..")}, 0, "outside the package"},
		{"dangling link", []zipEntry{exe, link("nowhere", "missing")}, 0, "does not resolve"},
		{"duplicate", []zipEntry{exe, exe}, 0, "more than once"},
		{"file through link", []zipEntry{exe, link("lib", "real"), file("lib/x")}, 0, "symlink over another entry"},
		{"too big", []zipEntry{exe, {name: "big", mode: 0o644, data: bytes.Repeat([]byte("x"), 2000)}}, 1000, "Unzipped size must be smaller than 1000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "code")
			limit := tc.limit
			if limit == 0 {
				limit = maxUnzippedSize
			}
			err := unpackZip(zipWithLinks(t, tc.entries...), dir, limit)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unpack: %v", err)
				}
				fi, err := os.Stat(filepath.Join(dir, "bootstrap"))
				if err != nil || fi.Mode().Perm() != 0o755 {
					t.Errorf("bootstrap: %v %v, want mode 0755", fi, err)
				}
				if err := checkBootstrap(dir, nil); err != nil {
					t.Errorf("checkBootstrap: %v", err)
				}
				return
			}
			var pe *packageError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("unpack: %v, want a package error containing %q", err, tc.wantErr)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("failed unpack left %s behind", dir)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil")); err == nil {
				t.Errorf("a file escaped the target directory")
			}
		})
	}
}

func TestUnpackZipNotAZip(t *testing.T) {
	err := unpackZip([]byte("PK but not really"), filepath.Join(t.TempDir(), "code"), maxUnzippedSize)
	var pe *packageError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "Could not unzip") {
		t.Errorf("unpack of garbage: %v", err)
	}
}
