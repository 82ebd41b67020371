// dlib.h is the whole C seam between Go and dlib: plain C types only, every
// C++ exception caught on the C++ side and returned as a malloc'd message.
// Keep it small and stable: any change rebuilds the dlib templates (~90 s).
#ifndef FACEVEC_DLIB_H
#define FACEVEC_DLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fv_net fv_net;

typedef struct {
	long left, top, right, bottom;
	double confidence;
} fv_rect;

enum { FV_HOG = 0, FV_CNN = 1 };
enum { FV_JPEG = 1, FV_PNG = 2 };

// fv_process_init pins OpenBLAS to one thread (we parallelise across
// workers instead) and tunes glibc malloc so dlib's large, short-lived
// tensors are reused rather than mmap'd and zeroed on every layer.
void fv_process_init(void);

// fv_net_open loads one worker's models. NULL on error with *err set.
fv_net *fv_net_open(const char *shape_path, const char *resnet_path,
                    const char *hog_path, char **err);
// fv_net_clone deep-copies a loaded worker (cheaper than deserialising).
fv_net *fv_net_clone(const fv_net *src, char **err);
// fv_net_load_cnn loads the mmod CNN detector into n (idempotent).
int fv_net_load_cnn(fv_net *n, const char *path, char **err);
void fv_net_close(fv_net *n);

// fv_hog_save serialises get_frontal_face_detector() to path.
int fv_hog_save(const char *path, char **err);

// fv_decode decodes JPEG (libjpeg, as dlib's jpeg_loader calls it) or PNG
// (dlib's png_loader) straight into pix, a packed RGB buffer of w x h
// pixels the caller sized from the file's header; a file that decodes to
// another size is an error. *warning gets libjpeg's warnings about data it
// decoded around (malloc'd, NULL when none), even when it succeeds.
int fv_decode(const uint8_t *data, size_t len, int format, uint8_t *pix,
              int w, int h, char **warning, char **err);

// fv_detect runs a detector on the packed RGB image (w x h), first
// resized to (dw x dh) when that differs; rects come back in full-size
// coordinates in a malloc'd array the caller frees.
int fv_detect(fv_net *n, const uint8_t *pix, int w, int h, int dw, int dh,
              int kind, int upsample, fv_rect **out, int *count, char **err);

// fv_landmarks writes 5 (x, y) points per rect into parts[10*n].
int fv_landmarks(fv_net *n, const uint8_t *pix, int w, int h,
                 const fv_rect *rects, int count, long *parts, char **err);

// fv_describe writes a 128-float descriptor per face into desc[128*n]:
// 150x150 chips (padding 0.25) through the ResNet; jitter > 1 averages
// that many jittered copies (face_recognition's num_jitters).
int fv_describe(fv_net *n, const uint8_t *pix, int w, int h,
                const fv_rect *rects, const long *parts, int count,
                int jitter, float *desc, char **err);

// The HOG detector's implementations for fv_hog_detect: facevec's exact
// scanner (hog_scan.h) with its kernels chosen by CPU, forced to SSE2 or
// to AVX2, or dlib's own object_detector, the reference.
enum { FV_HOG_AUTO = 0, FV_HOG_SSE2 = 1, FV_HOG_AVX2 = 2, FV_HOG_DLIB = 3 };

// fv_net_set_hog_threads sets how many threads the HOG scanner may use for
// one photo (at least 1); the result does not depend on it.
void fv_net_set_hog_threads(fv_net *n, int threads);

// fv_hog_have_avx2 is 1 when the CPU runs the AVX2 kernels.
int fv_hog_have_avx2(void);

// fv_hog_detect is fv_detect's HOG path on the full-size image with a
// chosen implementation and dlib's adjust_threshold (0: dlib's default).
int fv_hog_detect(fv_net *n, const uint8_t *pix, int w, int h, int upsample, int impl, double adjust,
                  fv_rect **out, int *count, char **err);

#ifdef __cplusplus
}
#endif
#endif
