package cli

import (
	"flag"
	"fmt"
	"io"
	"runtime"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/dlib"
	"github.com/facevec/facevec/function/face/imagefmt"
)

// imageFlags are the encoder settings shared by encode, recognize and annotate.
type imageFlags struct {
	detector  string
	upsample  int
	jitter    int
	maxSide   int
	workers   int
	models    string
	maxPixels int64
	maxBytes  int64
}

func (f *imageFlags) register(fs *flag.FlagSet, all bool) {
	fs.StringVar(&f.detector, "detector", face.DetectorHOG, "face detector: hog or cnn")
	fs.IntVar(&f.upsample, "upsample", 1, "times to upsample the image before detection (finds smaller faces)")
	fs.StringVar(&f.models, "models", "", "model directory (default $FACEVEC_MODELS, $LAMBDA_TASK_ROOT/models, ./models)")
	fs.Int64Var(&f.maxPixels, "max-pixels", 50_000_000, "refuse images with more pixels than this (0 = no limit)")
	fs.Int64Var(&f.maxBytes, "max-bytes", defaultMaxBytes, "refuse files larger than this many bytes (0 = no limit)")
	if all {
		fs.IntVar(&f.jitter, "jitter", 0, "average descriptors over N jittered copies (face_recognition's num_jitters)")
		fs.IntVar(&f.maxSide, "max-side", 0, "detect on a copy whose longer side is at most PX (0 = never downscale)")
		fs.IntVar(&f.workers, "workers", runtime.NumCPU(), "images encoded in parallel")
	}
}

func (f *imageFlags) params() face.Params {
	return face.Params{
		Detector: f.detector,
		Upsample: f.upsample,
		Jitter:   f.jitter,
		MaxSide:  f.maxSide,
		Limits:   imagefmt.Limits{MaxBytes: f.maxBytes, MaxPixels: f.maxPixels},
	}
}

func (f *imageFlags) validate() string {
	switch {
	case f.detector != face.DetectorHOG && f.detector != face.DetectorCNN:
		return "--detector must be hog or cnn"
	case f.upsample < 0 || f.upsample > face.MaxUpsample:
		return "--upsample must be between 0 and 4"
	case f.jitter < 0 || f.jitter > face.MaxJitter:
		return "--jitter must be between 0 and 100"
	case f.maxSide < 0:
		return "--max-side must be 0 or positive"
	case f.workers < 1:
		return "--workers must be at least 1"
	case f.maxPixels < 0 || f.maxBytes < 0:
		return "--max-pixels and --max-bytes must be 0 or positive"
	}
	return ""
}

// defaultMaxBytes bounds a file read (a photo is a few MB; the Lambda's
// own default is 25 MiB), so a path to something endless cannot fill memory.
const defaultMaxBytes = 256 << 20

// open loads the encoder with as many workers as can help: one per image
// at most, and no more than the CPUs (each worker holds its own copy of the
// networks, ~100 MB, and dlib keeps one core busy).
func (f *imageFlags) open(inputs int, stderr io.Writer) (*dlib.Encoder, error) {
	w := max(f.workers, 1)
	if limit := max(min(inputs, runtime.NumCPU()), 1); w > limit {
		if f.workers > runtime.NumCPU() {
			fmt.Fprintf(stderr, "facevec: --workers %d capped at %d (CPUs and inputs)\n", f.workers, limit)
		}
		w = limit
	}
	f.workers = w
	return dlib.New(face.ModelsDir(f.models), dlib.WithWorkers(w))
}
