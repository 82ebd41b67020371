package dlib

/*
#include <stdlib.h>
#include "dlib.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// hogImpl names an implementation of the HOG detector (dlib.h FV_HOG_*).
// Encode always uses hogAuto: facevec's exact scanner (hog_scan.h) on the
// best kernels the CPU runs. The others exist to hold it to dlib: the
// scanner forced to SSE2 or AVX2, and dlib's own object_detector.
type hogImpl int

const (
	hogAuto hogImpl = C.FV_HOG_AUTO
	hogSSE2 hogImpl = C.FV_HOG_SSE2
	hogAVX2 hogImpl = C.FV_HOG_AVX2
	hogDlib hogImpl = C.FV_HOG_DLIB
)

func (i hogImpl) String() string {
	switch i {
	case hogAuto:
		return "auto"
	case hogSSE2:
		return "sse2"
	case hogAVX2:
		return "avx2"
	case hogDlib:
		return "dlib"
	}
	return "unknown"
}

// hogHaveAVX2 reports whether this CPU runs the scanner's AVX2 kernels.
func hogHaveAVX2() bool { return C.fv_hog_have_avx2() != 0 }

// setHOGThreads sets how many threads the HOG scanner uses for one photo.
func (n *net) setHOGThreads(k int) { C.fv_net_set_hog_threads(n.p, C.int(k)) }

// detectHOG runs the HOG detector with implementation impl on the full
// w x h image, with dlib's adjust_threshold (0 is dlib's default).
func (n *net) detectHOG(pix []byte, w, h, upsample int, impl hogImpl, adjust float64) ([]rect, error) {
	if len(pix) < w*h*3 || w <= 0 || h <= 0 {
		return nil, errEmpty
	}
	var out *C.fv_rect
	var count C.int
	var msg *C.char
	rc := C.fv_hog_detect(n.p, (*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(w), C.int(h), C.int(upsample),
		C.int(impl), C.double(adjust), &out, &count, &msg)
	runtime.KeepAlive(pix)
	if rc != 0 {
		return nil, cErr("detect "+impl.String(), msg)
	}
	return takeRects(out, count), nil
}
