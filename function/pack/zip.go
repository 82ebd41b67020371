package main

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// fixedTime is every entry's modification time: a constant, so the bytes do
// not depend on when the files were built (zip stores local DOS time; UTC
// here).
var fixedTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Modes a package entry gets, and the bits Check requires.
const (
	fileMode = 0o644
	execMode = 0o755
	dirMode  = 0o755
)

// Write zips the tree under root into w, entries sorted, modes normalised.
func Write(w io.Writer, root string) error {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return fmt.Errorf("%s: only regular files and directories go in a package", p)
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(paths)

	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, p := range paths {
		if err := addEntry(zw, root, p); err != nil {
			return err
		}
	}
	return zw.Close()
}

func addEntry(zw *zip.Writer, root, p string) error {
	info, err := os.Stat(p)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return err
	}
	hdr := &zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Deflate, Modified: fixedTime}
	switch {
	case info.IsDir():
		hdr.Name += "/"
		hdr.Method = zip.Store
		hdr.SetMode(fs.ModeDir | dirMode)
	case rel == "bootstrap" || info.Mode()&0o111 != 0:
		hdr.SetMode(execMode)
	default:
		hdr.SetMode(fileMode)
	}
	ew, err := zw.CreateHeader(hdr)
	if err != nil || info.IsDir() {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(ew, f)
	return err
}
