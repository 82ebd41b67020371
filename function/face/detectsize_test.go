package face_test

import (
	"testing"

	"github.com/facevec/facevec/function/face"
)

// TestDetectSize covers the detection-copy sizing: MAX_SIDE downscaling,
// and the CNN pixel budget (which counts each upsample as 4x the pixels),
// including the path no fixture reaches (photos over the budget).
func TestDetectSize(t *testing.T) {
	tests := []struct {
		name         string
		w, h         int
		p            face.Params
		wantW, wantH int
	}{
		{"hog, no max side", 4000, 3000, face.Params{Detector: face.DetectorHOG}, 4000, 3000},
		{"hog, under max side", 1000, 800, face.Params{Detector: face.DetectorHOG, MaxSide: 2000}, 1000, 800},
		{"hog, landscape over max side", 4000, 3000, face.Params{Detector: face.DetectorHOG, MaxSide: 2000}, 2000, 1500},
		{"hog, portrait over max side", 3000, 4000, face.Params{Detector: face.DetectorHOG, MaxSide: 2000}, 1500, 2000},
		{"cnn, under budget", 1000, 1000, face.Params{Detector: face.DetectorCNN, CNNMaxPixels: 1_500_000}, 1000, 1000},
		{"cnn, over budget", 4000, 3000, face.Params{Detector: face.DetectorCNN, CNNMaxPixels: 1_200_000}, 1265, 949},
		{"cnn, upsample counts 4x", 1000, 1000, face.Params{Detector: face.DetectorCNN, Upsample: 1, CNNMaxPixels: 1_000_000}, 500, 500},
		{"cnn, max side then budget", 4000, 3000, face.Params{Detector: face.DetectorCNN, MaxSide: 2000, CNNMaxPixels: 1_200_000}, 1265, 949},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, h := tc.p.DetectSize(tc.w, tc.h)
			if w != tc.wantW || h != tc.wantH {
				t.Errorf("DetectSize(%d, %d) = %dx%d, want %dx%d", tc.w, tc.h, w, h, tc.wantW, tc.wantH)
			}
			if tc.p.Detector == face.DetectorCNN && tc.p.CNNMaxPixels > 0 {
				up := int64(1) << (2 * tc.p.Upsample)
				if px := int64(w) * int64(h) * up; px > tc.p.CNNMaxPixels+int64(w+h)*up {
					t.Errorf("%dx%d with upsample %d is %d px, over the %d budget", w, h, tc.p.Upsample, px, tc.p.CNNMaxPixels)
				}
			}
		})
	}
}

// TestDetectPixels counts the upsampled detection copy.
func TestDetectPixels(t *testing.T) {
	for _, tc := range []struct {
		w, h int
		p    face.Params
		want int64
	}{
		{4000, 3000, face.Params{Detector: face.DetectorHOG, MaxSide: 2000, Upsample: 1}, 2000 * 1500 * 4},
		{4000, 3000, face.Params{Detector: face.DetectorHOG, Upsample: 0}, 4000 * 3000},
		{7000, 7000, face.Params{Detector: face.DetectorHOG, Upsample: 2}, 7000 * 7000 * 16},
	} {
		if got := tc.p.DetectPixels(tc.w, tc.h); got != tc.want {
			t.Errorf("%+v: DetectPixels(%d, %d) = %d, want %d", tc.p, tc.w, tc.h, got, tc.want)
		}
	}
}
