package face

import "math"

// DetectSize is the size of the copy the detector runs on for a w×h
// image: at most MaxSide on its longer side and, for the CNN detector,
// within CNNMaxPixels once upsampled. It is what bounds detection's time
// and memory, which grow with DetectPixels, not with the file's size.
func (p Params) DetectSize(w, h int) (int, int) {
	scale := 1.0
	if long := max(w, h); p.MaxSide > 0 && long > p.MaxSide {
		scale = float64(p.MaxSide) / float64(long)
	}
	if p.Detector == DetectorCNN {
		up := float64(int64(1) << (2 * p.Upsample)) // each pyramid_up doubles both sides
		px := float64(w) * float64(h) * scale * scale * up
		if px > float64(p.CNNMaxPixels) {
			scale *= math.Sqrt(float64(p.CNNMaxPixels) / px)
		}
	}
	if scale >= 1 {
		return w, h
	}
	return max(1, int(float64(w)*scale+0.5)), max(1, int(float64(h)*scale+0.5))
}

// DetectPixels is the pixel count of the largest image the detector scans
// for a w×h image: the detection copy after upsampling (each upsample
// doubles both sides). The HOG scanner's buffers and the CNN's tensors
// scale with it.
func (p Params) DetectPixels(w, h int) int64 {
	dw, dh := p.DetectSize(w, h)
	return int64(dw) * int64(dh) << (2 * p.Upsample)
}
