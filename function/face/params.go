package face

import (
	"cmp"
	"fmt"

	"github.com/facevec/facevec/function/face/imagefmt"
	"github.com/facevec/facevec/result"
)

// Detector names accepted in Params.Detector.
const (
	DetectorHOG = "hog"
	DetectorCNN = "cnn"
)

// DefaultBLAS names the OpenBLAS kernel set every facevec process runs
// (package dlib chooses it): one set on every host, so one photo gives one
// vector everywhere. Haswell's kernels need AVX2 and FMA, which every
// x86_64 CPU Lambda runs on has. FACEVEC_BLAS (the function) and --blas
// (the CLI) choose another, or "auto" for OpenBLAS's own per-CPU choice.
const DefaultBLAS = "Haswell"

// DefaultCNNMaxPixels bounds the image the CNN detector sees after
// upsampling: it costs about 0.8 s and 200 MB of RAM per megapixel here
// (dlib's own convolution: 3.5 s and 1 GB), so larger inputs are
// downscaled for detection (landmarks and chips still use full size).
const DefaultCNNMaxPixels = 1_500_000

// DefaultMaxSide is the longer side of the copy detection runs on by
// default, in the function (MAX_SIDE) and the CLI (--max-side) alike:
// upsampled once, the detector then scans at most 4000×4000 pixels
// whatever the image's size (a flat 7000×7000 JPEG of 575 KB would
// otherwise take gigabytes). Boxes are still in full-resolution pixels.
const DefaultMaxSide = 2000

// Params are the per-image settings.
type Params struct {
	Detector string // "hog" (default) or "cnn"
	Upsample int    // detector upsampling, 0..MaxUpsample
	Jitter   int    // >1: average that many jittered copies (face_recognition's num_jitters)
	// MaxSide > 0 runs detection on a copy whose longer side is at most
	// MaxSide; boxes are mapped back to full resolution.
	MaxSide int
	// CNNMaxPixels bounds the upsampled detection image of the CNN
	// detector; 0 means DefaultCNNMaxPixels.
	CNNMaxPixels int64
	Limits       imagefmt.Limits
}

// Model is the model block of a result produced with these settings.
func (p Params) Model() result.Model {
	return result.Model{Detector: cmp.Or(p.Detector, DetectorHOG), Upsample: p.Upsample, Jitter: p.Jitter,
		Recognizer: RecognizerName, RecognizerSHA256: RecognizerSHA256}
}

// MaxUpsample and MaxJitter bound the settings to what finishes in sane time.
const (
	MaxUpsample = 4
	MaxJitter   = 100
)

// Normalized fills the defaults in and checks every setting against its
// bounds, naming the one that is out of range.
func (p Params) Normalized() (Params, error) {
	if p.Detector == "" {
		p.Detector = DetectorHOG
	}
	if p.Detector != DetectorHOG && p.Detector != DetectorCNN {
		return p, fmt.Errorf("detector %q: want %q or %q", p.Detector, DetectorHOG, DetectorCNN)
	}
	if p.Upsample < 0 || p.Upsample > MaxUpsample {
		return p, fmt.Errorf("upsample %d: want 0..%d", p.Upsample, MaxUpsample)
	}
	if p.Jitter < 0 || p.Jitter > MaxJitter {
		return p, fmt.Errorf("jitter %d: want 0..%d", p.Jitter, MaxJitter)
	}
	if p.MaxSide < 0 {
		return p, fmt.Errorf("max side %d: want 0 (never downscale) or a positive size", p.MaxSide)
	}
	if p.CNNMaxPixels <= 0 {
		p.CNNMaxPixels = DefaultCNNMaxPixels
	}
	return p, nil
}
