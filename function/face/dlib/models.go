package dlib

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/facevec/facevec/function/face"
)

// hogPath returns the serialised HOG detector in dir, creating it there
// when missing (atomically, so concurrent starts don't see a partial
// file). A read-only dir (a Lambda package without it) falls back to the
// temp dir.
func hogPath(dir string) (string, error) {
	p := filepath.Join(dir, face.HOGFile)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	for _, d := range []string{dir, os.TempDir()} {
		p := filepath.Join(d, face.HOGFile)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tmp, err := os.CreateTemp(d, face.HOGFile+".*")
		if err != nil {
			continue
		}
		tmp.Close()
		// CreateTemp makes the file 0600; the detector is shipped in the
		// Lambda package, which an unprivileged user must be able to read.
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			os.Remove(tmp.Name())
			continue
		}
		if err := saveHOG(tmp.Name()); err != nil {
			os.Remove(tmp.Name())
			return "", fmt.Errorf("%w: %v", face.ErrModel, err)
		}
		if err := os.Rename(tmp.Name(), p); err != nil {
			os.Remove(tmp.Name())
			continue
		}
		return p, nil
	}
	return "", fmt.Errorf("%w: cannot write %s in %s or %s", face.ErrModel, face.HOGFile, dir, os.TempDir())
}

// PrepareModels verifies the three dlib files in dir and writes the
// serialised HOG detector next to them. `make models` calls it (through
// `facevec models`) so that packages ship the fast-loading detector.
func PrepareModels(dir string) error {
	for _, f := range []struct{ name, sum string }{
		{face.RecognizerFile, face.RecognizerSHA256}, {face.ShapeFile, face.ShapeSHA256}, {face.CNNFile, face.CNNSHA256},
	} {
		if err := face.VerifyFile(filepath.Join(dir, f.name), f.sum); err != nil {
			return err
		}
	}
	_, err := hogPath(dir)
	return err
}
