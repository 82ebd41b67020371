// Package settings is the CLI's encoder flags and their checks: pure Go, so
// flag handling never links dlib. The commands that encode turn the result
// into a face/dlib encoder.
package settings

import (
	"cmp"
	"flag"
	"os"
	"runtime"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/imagefmt"
)

// Image is the encoder settings shared by encode, recognize and annotate.
type Image struct {
	Detector  string
	Upsample  int
	Jitter    int
	MaxSide   int
	Workers   int
	Models    string
	MaxPixels int64
	MaxBytes  int64
	// BLAS names the OpenBLAS kernel set (face.DefaultBLAS, the Lambda's,
	// so the CLI's vectors equal the function's) or "auto".
	BLAS string
}

// EnvBLAS is the variable --blas defaults to, as in the function.
const EnvBLAS = "FACEVEC_BLAS"

// Register adds the flags to fs; all adds jitter and workers. The
// defaults are the function's, max side included: what a file may cost
// in memory is bounded by the detection copy (face.DefaultMaxSide a side,
// upsampled), not by how well it compresses.
func (f *Image) Register(fs *flag.FlagSet, all bool) {
	fs.StringVar(&f.Detector, "detector", face.DetectorHOG, "face detector: hog or cnn")
	fs.IntVar(&f.Upsample, "upsample", 1, "times to upsample the image before detection (finds smaller faces)")
	fs.IntVar(&f.MaxSide, "max-side", face.DefaultMaxSide, "detect on a copy whose longer side is at most PX; boxes stay in full-size pixels (0 = never downscale: detection then scans the whole image, 4x its pixels per upsample)")
	fs.StringVar(&f.Models, "models", "", "model directory (default $FACEVEC_MODELS, $LAMBDA_TASK_ROOT/models, ./models)")
	fs.Int64Var(&f.MaxPixels, "max-pixels", 50_000_000, "refuse images with more pixels than this (0 = no limit)")
	fs.Int64Var(&f.MaxBytes, "max-bytes", DefaultMaxBytes, "refuse files larger than this many bytes (0 = no limit)")
	fs.StringVar(&f.BLAS, "blas", cmp.Or(os.Getenv(EnvBLAS), face.DefaultBLAS),
		"OpenBLAS kernel set: "+face.DefaultBLAS+" (the Lambda's: the same vectors on every host), another of OpenBLAS's names, or auto for its per-CPU choice (env "+EnvBLAS+")")
	if all {
		fs.IntVar(&f.Jitter, "jitter", 0, "average descriptors over N jittered copies (face_recognition's num_jitters)")
		fs.IntVar(&f.Workers, "workers", runtime.NumCPU(), "images encoded in parallel")
	}
}

// Params are the settings as the encoder takes them.
func (f *Image) Params() face.Params {
	return face.Params{
		Detector: f.Detector,
		Upsample: f.Upsample,
		Jitter:   f.Jitter,
		MaxSide:  f.MaxSide,
		Limits:   imagefmt.Limits{MaxBytes: f.MaxBytes, MaxPixels: f.MaxPixels},
	}
}

// Validate names the first flag out of range, or returns "".
func (f *Image) Validate() string {
	switch {
	case f.Detector != face.DetectorHOG && f.Detector != face.DetectorCNN:
		return "--detector must be hog or cnn"
	case f.Upsample < 0 || f.Upsample > face.MaxUpsample:
		return "--upsample must be between 0 and 4"
	case f.Jitter < 0 || f.Jitter > face.MaxJitter:
		return "--jitter must be between 0 and 100"
	case f.MaxSide < 0:
		return "--max-side must be 0 or positive"
	case f.Workers < 1:
		return "--workers must be at least 1"
	case f.MaxPixels < 0 || f.MaxBytes < 0:
		return "--max-pixels and --max-bytes must be 0 or positive"
	}
	return ""
}

// DefaultMaxBytes bounds a file read (a photo is a few MB; the Lambda's
// own default is 25 MiB), so a path to something endless cannot fill memory.
const DefaultMaxBytes = 256 << 20
