package face

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Model file names (dlib's official files) and their SHA-256 (docs/CONTRACT.md "Models").
const (
	RecognizerFile = "dlib_face_recognition_resnet_model_v1.dat"
	ShapeFile      = "shape_predictor_5_face_landmarks.dat"
	CNNFile        = "mmod_human_face_detector.dat"
	// HOGFile is dlib's get_frontal_face_detector() serialised: loading it
	// takes ~2 ms where building the detector in code takes ~340 ms.
	HOGFile = "frontal_face_detector.dat"

	RecognizerName   = "dlib_face_recognition_resnet_model_v1"
	RecognizerSHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
	ShapeSHA256      = "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"
	CNNSHA256        = "be467b1a76f482693de3b0f6a1ff91d092319be71523d4d4b0628f6a53fcb87a"
)

// ErrModel is wrapped by every model lookup, checksum and load failure.
var ErrModel = errors.New("model files")

// ModelsDir resolves the models directory the way docs/CONTRACT.md says: the
// flag value, else $FACEVEC_MODELS, else $LAMBDA_TASK_ROOT/models, else ./models.
func ModelsDir(flag string) string {
	switch {
	case flag != "":
		return flag
	case os.Getenv("FACEVEC_MODELS") != "":
		return os.Getenv("FACEVEC_MODELS")
	case os.Getenv("LAMBDA_TASK_ROOT") != "":
		return filepath.Join(os.Getenv("LAMBDA_TASK_ROOT"), "models")
	}
	return "models"
}

// verifyFile checks path's SHA-256 against want.
func verifyFile(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %s missing or unreadable (run `make models`): %v", ErrModel, path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%w: read %s: %v", ErrModel, path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s has SHA-256 %s, want %s (corrupt or wrong file; run `make models`)", ErrModel, path, got, want)
	}
	return nil
}

// hogPath returns the serialised HOG detector in dir, creating it there
// when missing (atomically, so concurrent starts don't see a partial
// file). A read-only dir (a Lambda package without it) falls back to the
// temp dir.
func hogPath(dir string) (string, error) {
	p := filepath.Join(dir, HOGFile)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	for _, d := range []string{dir, os.TempDir()} {
		p := filepath.Join(d, HOGFile)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tmp, err := os.CreateTemp(d, HOGFile+".*")
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
			return "", fmt.Errorf("%w: %v", ErrModel, err)
		}
		if err := os.Rename(tmp.Name(), p); err != nil {
			os.Remove(tmp.Name())
			continue
		}
		return p, nil
	}
	return "", fmt.Errorf("%w: cannot write %s in %s or %s", ErrModel, HOGFile, dir, os.TempDir())
}

// PrepareModels verifies the three dlib files in dir and writes the
// serialised HOG detector next to them. `make models` calls it (through
// `facevec models`) so that packages ship the fast-loading detector.
func PrepareModels(dir string) error {
	for _, f := range []struct{ name, sum string }{
		{RecognizerFile, RecognizerSHA256}, {ShapeFile, ShapeSHA256}, {CNNFile, CNNSHA256},
	} {
		if err := verifyFile(filepath.Join(dir, f.name), f.sum); err != nil {
			return err
		}
	}
	_, err := hogPath(dir)
	return err
}
