// hog_scan.h: facevec's exact HOG face scanner. It runs dlib 19.24's
// get_frontal_face_detector() (object_detector<scan_fhog_pyramid<
// pyramid_down<6>>>) and returns what dlib's operator() returns, the same
// rectangles with bit-identical scores in the same order, for any image,
// because it performs the same floating-point operations in the same
// order (see hog_kernels.h). What differs is how: planar colour rows,
// vector gradients, orientations from a table, histogram votes in one
// pass per row, separable filters without per-call allocations, buffers
// pooled across calls, the kernels compiled for SSE2 and AVX2 and chosen
// at run time, and optionally more threads inside one photo.
//
// The pyramid levels and the upsampling are dlib's resize_image (bilinear,
// RGB), done the same way (hog_kernels.h's resize_rgb) into reused buffers.
//
// A scanner holds the detector's weights; the large buffers of a scan are
// taken from a process-wide pool for the call (hog_scan.cpp), so one
// scanner may be used from several threads at once.
#ifndef FACEVEC_HOG_SCAN_H
#define FACEVEC_HOG_SCAN_H

#include <stdint.h>

#include <memory>
#include <vector>

#include <dlib/image_processing/frontal_face_detector.h>

namespace facevec_hog {

// isa chooses the kernels: automatic is AVX2 where the CPU has it.
enum class isa { automatic = 0, sse2 = 1, avx2 = 2 };

bool have_avx2();

typedef void (*fhog_fn)(const unsigned char *rgb, long nr, long nc, long stride, long cells_nr, long cells_nc,
                        int rows_pad, int cols_pad, float *out, long onr, long onc, float *hist, float *norm, int *rows,
                        float *px, int *pxi);
typedef void (*resize_fn)(const unsigned char *in, long inr, long inc, long ins, unsigned char *out, long onr,
                          long onc, long os, long r0, long r1, int *left, float *lr, float *ilr, float *gath,
                          double *tail, int *outi);
typedef void (*filter_fn)(const float *in, long nr, long nc, const float *rf, long rl, const float *cf, long cl, long r0,
                          long r1, float *scratch, float *sal, long stride, bool first);

// kernels is one compiled copy of hog_kernels.h.
struct kernels {
	fhog_fn fhog;
	filter_fn filter;
	resize_fn resize;
};

// kernels_for returns the copy for want (automatic: the best this CPU runs).
// Asking for avx2 on a CPU without it is the caller's error to refuse.
const kernels &kernels_for(isa want);

// packed_rgb is a view of packed 8-bit RGB pixels.
struct packed_rgb {
	const unsigned char *data;
	long nr, nc, stride; // stride in bytes
};

class scanner {
public:
	// The detector's weights are copied; it must be a frontal face
	// detector layout the kernels handle (cell size 8, separable filters),
	// else supported() is false and callers use dlib's own detector.
	explicit scanner(const dlib::frontal_face_detector &det);
	~scanner();
	scanner(const scanner &) = delete;
	scanner &operator=(const scanner &) = delete;

	bool supported() const { return ok; }

	// detect is object_detector::operator()(img, dets, adjust_threshold)
	// on img after `upsample` dlib pyramid_up()s, with the boxes mapped
	// back down (pyramid_down<2>::rect_down), as dlib's Python
	// run_detector_with_upscale does. threads > 1 uses that many threads
	// for this one image, with the same result.
	void detect(const packed_rgb &img, int upsample, double adjust, isa which, int threads,
	            std::vector<dlib::rect_detection> &out) const;

	struct level;
	struct bank;
	struct worker;
	struct buffers;

private:
	struct lease;
	void scan(const packed_rgb &img, double adjust, const kernels &k, int threads, buffers &B,
	          std::vector<dlib::rect_detection> &out) const;

	// More threads than this for one image are not used.
	static constexpr int max_threads = 8;
	bool ok = false;
	dlib::test_box_overlap overlap;
	long cell_size = 8, padding = 1, fhog_w = 0, fhog_h = 0;
	unsigned long max_levels = 0, min_w = 0, min_h = 0;
	std::vector<bank> banks;
};

} // namespace facevec_hog

#endif
