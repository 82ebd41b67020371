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

// VerifyFile checks path's SHA-256 against want.
func VerifyFile(path, want string) error {
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
