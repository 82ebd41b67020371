// dlib.cpp implements dlib.h. The network definitions are dlib's own
// (dnn_face_recognition_ex.cpp, dnn_mmod_face_detection_ex.cpp) and the
// detection/upsampling logic mirrors dlib's Python bindings, which
// face_recognition calls, so boxes and descriptors match that reference.
// The one departure is the convolution layer's forward pass (fast_conv.h).
#include "dlib.h"
#include "cmsg.h"
#include "dlib_nets.h"
#include "fast_conv.h"
#include "hog_scan.h"

#include <malloc.h>
#include <setjmp.h>
#include <stdio.h> // before jpeglib.h, which uses FILE
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <dlib/dnn.h>
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

extern "C" void openblas_set_num_threads(int);

// rgb_view lets dlib read a Go-owned packed RGB buffer without copying it.
struct rgb_view {
	uint8_t *data;
	long nr, nc;
};
namespace dlib {
template <> struct image_traits<rgb_view> {
	typedef rgb_pixel pixel_type;
};
}
inline long num_rows(const rgb_view &v) { return v.nr; }
inline long num_columns(const rgb_view &v) { return v.nc; }
inline void *image_data(rgb_view &v) { return v.data; }
inline const void *image_data(const rgb_view &v) { return v.data; }
inline long width_step(const rgb_view &v) { return v.nc * 3; }
// A view has the size of the buffer behind it: dlib's loaders call this
// with the size they decode, which must be that size.
inline void set_image_size(rgb_view &v, long nr, long nc) {
	if (nr != v.nr || nc != v.nc)
		throw dlib::error("image is " + std::to_string(nc) + "x" + std::to_string(nr) + " pixels, not the " +
		                  std::to_string(v.nc) + "x" + std::to_string(v.nr) + " its header gives");
}

namespace {
using namespace dlib;
// dlib's networks with fast_con for con: same model files, same
// arithmetic, 4-5x faster for the CNN detector and ~25% for the ResNet.
using anet_type = facevec_nets::face_resnet<facevec_nets::fast_con>::net_type;
using cnn_type = facevec_nets::mmod_detector<facevec_nets::fast_con>::net_type;

// guard runs f and turns any C++ exception into an error message: no
// exception ever unwinds into Go.
template <typename F> int guard(char **err, F f) {
	try {
		f();
		return 0;
	} catch (const std::bad_alloc &) {
		*err = dup_msg("out of memory");
	} catch (const std::exception &e) {
		*err = dup_msg(e.what());
	} catch (...) {
		*err = dup_msg("unknown C++ exception");
	}
	return -1;
}

// jpeg_errors is libjpeg's error manager for decode_jpeg: a fatal error
// longjmps back with its message, and warnings (corrupt data libjpeg
// decodes around) are kept for the caller. dlib's jpeg_loader leaves
// libjpeg's default, which prints warnings to stderr: plain text in the
// function's JSON logs, tied to no request.
struct jpeg_errors {
	jpeg_error_mgr pub;
	jpeg_progress_mgr progress; // for the scan limit
	jmp_buf jump;
	char error[JMSG_LENGTH_MAX];
	char warning[JMSG_LENGTH_MAX]; // the first one
	int warnings;
	int max_scans; // scanBudget for this image's size
	long pixels;
};

// A progressive JPEG re-decodes the whole image in every scan, and libjpeg
// cannot be interrupted, so a file that repeats a scan costs scans x pixels
// of CPU within any byte limit: 990 repeats of a 6000x4000 scan in 183 KB
// took 18 s. The scan budget bounds that product. At about 0.75 ns per
// pixel and scan here, scanPixelBudget is under a second of decoding;
// encoders write about 10 scans (mozjpeg up to ~20), so minJPEGScans is
// never reached by a real photo. maxJPEGScans is djpeg -maxscans' cap for
// small images, and maxJPEGWarnings stops a decode that only meets corrupt
// data (the 18 s file gave 62,369 warnings).
constexpr long long scanPixelBudget = 1000LL * 1000 * 1000;
constexpr int minJPEGScans = 32;
constexpr int maxJPEGScans = 1000;
constexpr int maxJPEGWarnings = 10000;

int scan_budget(long pixels) {
	if (pixels <= 0) return maxJPEGScans;
	const long long n = scanPixelBudget / pixels;
	return int(std::min<long long>(maxJPEGScans, std::max<long long>(minJPEGScans, n)));
}

extern "C" {
static void jpeg_errors_exit(j_common_ptr c) {
	jpeg_errors *e = reinterpret_cast<jpeg_errors *>(c->err);
	(*c->err->format_message)(c, e->error);
	longjmp(e->jump, 1);
}

static void jpeg_errors_progress(j_common_ptr c) {
	if (!c->is_decompressor) return;
	jpeg_errors *e = reinterpret_cast<jpeg_errors *>(c->err);
	const int scans = reinterpret_cast<j_decompress_ptr>(c)->input_scan_number;
	if (scans > e->max_scans) {
		snprintf(e->error, sizeof e->error,
		         "progressive JPEG with more than %d scans for %ld pixels: each scan decodes the whole image again, "
		         "so it is refused as too costly (photos have about 10)",
		         e->max_scans, e->pixels);
		longjmp(e->jump, 1);
	}
}

static void jpeg_errors_emit(j_common_ptr c, int level) {
	if (level >= 0) return; // trace messages
	jpeg_errors *e = reinterpret_cast<jpeg_errors *>(c->err);
	if (e->warnings++ == 0) (*c->err->format_message)(c, e->warning);
	c->err->num_warnings++;
	if (e->warnings > maxJPEGWarnings) {
		j_decompress_ptr d = reinterpret_cast<j_decompress_ptr>(c);
		if (c->is_decompressor && d->progressive_mode)
			snprintf(e->error, sizeof e->error,
			         "progressive JPEG with %d scans so far and more than %d corrupt-data warnings (the first: %s): "
			         "refused as too costly to decode",
			         d->input_scan_number, maxJPEGWarnings, e->warning);
		else
			snprintf(e->error, sizeof e->error, "more than %d corrupt-data warnings, the first: %s", maxJPEGWarnings,
			         e->warning);
		longjmp(e->jump, 1);
	}
}
}

// decode_jpeg decodes as dlib's jpeg_loader does (libjpeg's defaults, gray
// given as r = g = b) but straight into pix, w x h packed RGB, without the
// loader's own buffer. 0 on success, else -1 with jerr.error set. Plain C
// between setjmp and longjmp: no C++ object's destructor can be skipped.
int decode_jpeg(const uint8_t *data, size_t len, uint8_t *pix, int w, int h, jpeg_errors &jerr) {
	jpeg_decompress_struct cinfo;
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = jpeg_errors_exit;
	jerr.pub.emit_message = jpeg_errors_emit;
	jerr.error[0] = jerr.warning[0] = 0;
	jerr.warnings = 0;
	jerr.pixels = long(w) * long(h);
	jerr.max_scans = scan_budget(jerr.pixels);
	if (setjmp(jerr.jump)) {
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	jpeg_create_decompress(&cinfo);
	jerr.progress.progress_monitor = jpeg_errors_progress;
	cinfo.progress = &jerr.progress;
	jpeg_mem_src(&cinfo, const_cast<unsigned char *>(data), static_cast<unsigned long>(len));
	jpeg_read_header(&cinfo, TRUE);
	if (cinfo.jpeg_color_space != JCS_GRAYSCALE && cinfo.jpeg_color_space != JCS_YCbCr &&
	    cinfo.jpeg_color_space != JCS_RGB) {
		// CMYK and YCCK go to Go's decoder (decode.go's nativeDecoder.Accepts).
		snprintf(jerr.error, sizeof jerr.error, "unsupported color space %d", int(cinfo.jpeg_color_space));
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	cinfo.out_color_space = JCS_RGB;
	jpeg_start_decompress(&cinfo);
	if (long(cinfo.output_width) != w || long(cinfo.output_height) != h || cinfo.output_components != 3) {
		snprintf(jerr.error, sizeof jerr.error, "image is %ux%u pixels, not the %dx%d its header gives",
		         cinfo.output_width, cinfo.output_height, w, h);
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW row = pix + size_t(cinfo.output_scanline) * size_t(w) * 3;
		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	return 0;
}

full_object_detection to_shape(const fv_rect &r, const long *p) {
	std::vector<point> pts;
	for (int i = 0; i < 5; i++) pts.push_back(point(p[2 * i], p[2 * i + 1]));
	return full_object_detection(rectangle(r.left, r.top, r.right, r.bottom), pts);
}
} // namespace

struct fv_net {
	shape_predictor sp;
	anet_type resnet;
	frontal_face_detector hog;
	std::unique_ptr<cnn_type> cnn;
	// hog's exact fast scanner (hog_scan.h), built from hog, and how many
	// threads it may use for one photo.
	std::unique_ptr<facevec_hog::scanner> fast;
	int hog_threads = 1;
};

// fv_malloc_init tunes glibc malloc for dlib's large, short-lived tensors.
// It is a constructor, so it runs while the process loads, before the Go
// runtime starts any thread: each thread's first malloc takes an arena of
// its own, and glibc ignores M_ARENA_MAX once they exist (called from Go,
// the setting came when 10 arenas did).
//
// One arena: cgo calls land on any OS thread, and a per-thread arena each
// keeping its freed tensors grew a warm process's peak from ~340 MiB to
// ~630 MiB over eight 12 MP photos; with one it levels off below 512 MiB.
// dlib allocates few, large blocks, so the shared arena's lock costs
// nothing measurable. No mmap'd blocks and a high trim threshold keep
// freed tensors for reuse instead of zeroing fresh pages on every layer.
__attribute__((constructor)) static void fv_malloc_init(void) {
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_MAX, 0);
	mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
	mallopt(M_TOP_PAD, 64 * 1024 * 1024);
}

namespace {
// hog_detect runs the HOG detector on img after `upsample` pyramid_up()s,
// boxes mapped back down, as dlib's Python run_detector_with_upscale:
// with facevec's exact scanner (FV_HOG_AUTO, _SSE2, _AVX2) or dlib's own
// object_detector (FV_HOG_DLIB, the reference the scanner is held to).
void hog_detect(fv_net *n, const rgb_view &img, int upsample, int impl, double adjust,
                std::vector<rect_detection> &rd) {
	if (impl != FV_HOG_DLIB && n->fast && n->fast->supported()) {
		if (impl == FV_HOG_AVX2 && !facevec_hog::have_avx2()) throw dlib::error("this CPU has no AVX2");
		const facevec_hog::isa which = impl == FV_HOG_SSE2   ? facevec_hog::isa::sse2
		                               : impl == FV_HOG_AVX2 ? facevec_hog::isa::avx2
		                                                     : facevec_hog::isa::automatic;
		n->fast->detect(facevec_hog::packed_rgb{img.data, img.nr, img.nc, img.nc * 3}, upsample, adjust, which,
		                n->hog_threads, rd);
		return;
	}
	if (upsample == 0) {
		n->hog(img, rd, adjust);
		return;
	}
	pyramid_down<2> pyr;
	array2d<rgb_pixel> up;
	pyramid_up(img, up, pyr);
	for (int i = 1; i < upsample; i++) pyramid_up(up);
	n->hog(up, rd, adjust);
	for (auto &d : rd) d.rect = pyr.rect_down(d.rect, upsample);
}
} // namespace

extern "C" {

void fv_process_init(void) { openblas_set_num_threads(1); }

fv_net *fv_net_open(const char *shape_path, const char *resnet_path,
                    const char *hog_path, char **err) {
	fv_net *out = nullptr;
	// Constructing fv_net allocates the networks' layers: inside guard,
	// so a bad_alloc there is an error too, not std::terminate.
	guard(err, [&] {
		std::unique_ptr<fv_net> n(new fv_net);
		deserialize(shape_path) >> n->sp;
		deserialize(resnet_path) >> n->resnet;
		deserialize(hog_path) >> n->hog;
		n->fast.reset(new facevec_hog::scanner(n->hog));
		out = n.release();
	});
	return out;
}

fv_net *fv_net_clone(const fv_net *src, char **err) {
	fv_net *n = nullptr;
	if (guard(err, [&] {
		    std::unique_ptr<fv_net> c(new fv_net);
		    c->sp = src->sp;
		    c->resnet = src->resnet;
		    c->hog = src->hog;
		    c->fast.reset(new facevec_hog::scanner(c->hog));
		    c->hog_threads = src->hog_threads;
		    if (src->cnn) c->cnn.reset(new cnn_type(*src->cnn));
		    n = c.release();
	    }) != 0)
		return nullptr;
	return n;
}

int fv_net_load_cnn(fv_net *n, const char *path, char **err) {
	if (n->cnn) return 0;
	return guard(err, [&] {
		std::unique_ptr<cnn_type> c(new cnn_type);
		deserialize(path) >> *c;
		n->cnn = std::move(c);
	});
}

void fv_net_close(fv_net *n) { delete n; }

int fv_hog_save(const char *path, char **err) {
	return guard(err, [&] {
		frontal_face_detector d = get_frontal_face_detector();
		serialize(path) << d;
	});
}

int fv_decode(const uint8_t *data, size_t len, int format, uint8_t *pix,
              int w, int h, char **warning, char **err) {
	*warning = nullptr;
	return guard(err, [&] {
		if (format == FV_JPEG) {
			// decode_jpeg's longjmps stay inside its own frame.
			jpeg_errors jerr;
			const int rc = decode_jpeg(data, len, pix, w, h, jerr);
			if (jerr.warnings > 0) {
				std::string m = std::string("libjpeg: ") + jerr.warning;
				if (jerr.warnings > 1) m += " (and " + std::to_string(jerr.warnings - 1) + " more warnings)";
				*warning = dup_msg(m);
			}
			if (rc != 0) throw dlib::error(std::string("libjpeg: ") + jerr.error);
			return;
		}
		rgb_view img{pix, h, w};
		if (format == FV_PNG) {
			png_loader(data, len).get_image(img);
		} else {
			throw dlib::error("fv_decode: unknown format");
		}
	});
}

int fv_detect(fv_net *n, const uint8_t *pix, int w, int h, int dw, int dh,
              int kind, int upsample, fv_rect **out, int *count, char **err) {
	*out = nullptr;
	*count = 0;
	return guard(err, [&] {
		const rgb_view full{const_cast<uint8_t *>(pix), h, w};
		const bool resized = dw != w || dh != h;
		pyramid_down<2> pyr;
		std::vector<mmod_rect> dets;

		if (kind == FV_HOG) {
			// As dlib's Python run_detector_with_upscale: pyramid_up
			// `upsample` times, detect, rect_down the boxes.
			array2d<rgb_pixel> img;
			if (resized) {
				img.set_size(dh, dw);
				resize_image(full, img);
			}
			std::vector<rect_detection> rd;
			if (resized) hog_detect(n, rgb_view{&img[0][0].red, dh, dw}, upsample, FV_HOG_AUTO, 0, rd);
			else hog_detect(n, full, upsample, FV_HOG_AUTO, 0, rd);
			for (auto &d : rd) dets.push_back(mmod_rect(d.rect, d.detection_confidence));
		} else if (kind == FV_CNN) {
			if (!n->cnn) throw dlib::error("CNN detector not loaded");
			// As dlib's Python cnn_face_detection_model_v1.
			matrix<rgb_pixel> img;
			if (resized) {
				img.set_size(dh, dw);
				resize_image(full, img);
			} else {
				assign_image(img, full);
			}
			for (int i = 0; i < upsample; i++) pyramid_up(img, pyr);
			dets = (*n->cnn)(img);
			for (auto &d : dets) d.rect = pyr.rect_down(d.rect, upsample);
		} else {
			throw dlib::error("unknown detector");
		}

		const double sx = double(w) / dw, sy = double(h) / dh;
		fv_rect *r = static_cast<fv_rect *>(malloc(sizeof(fv_rect) * (dets.size() ? dets.size() : 1)));
		if (!r) throw std::bad_alloc();
		for (size_t i = 0; i < dets.size(); i++) {
			const rectangle &b = dets[i].rect;
			if (resized) {
				r[i].left = long(std::lround(b.left() * sx));
				r[i].top = long(std::lround(b.top() * sy));
				r[i].right = long(std::lround((b.right() + 1) * sx)) - 1;
				r[i].bottom = long(std::lround((b.bottom() + 1) * sy)) - 1;
			} else {
				r[i].left = b.left();
				r[i].top = b.top();
				r[i].right = b.right();
				r[i].bottom = b.bottom();
			}
			r[i].confidence = dets[i].detection_confidence;
		}
		*out = r;
		*count = int(dets.size());
	});
}

int fv_landmarks(fv_net *n, const uint8_t *pix, int w, int h,
                 const fv_rect *rects, int count, long *parts, char **err) {
	return guard(err, [&] {
		const rgb_view img{const_cast<uint8_t *>(pix), h, w};
		for (int i = 0; i < count; i++) {
			const fv_rect &r = rects[i];
			full_object_detection s = n->sp(img, rectangle(r.left, r.top, r.right, r.bottom));
			if (s.num_parts() != 5) throw dlib::error("shape predictor did not return 5 points");
			for (unsigned long k = 0; k < 5; k++) {
				parts[10 * i + 2 * k] = s.part(k).x();
				parts[10 * i + 2 * k + 1] = s.part(k).y();
			}
		}
	});
}

int fv_describe(fv_net *n, const uint8_t *pix, int w, int h,
                const fv_rect *rects, const long *parts, int count,
                int jitter, float *desc, char **err) {
	return guard(err, [&] {
		const rgb_view img{const_cast<uint8_t *>(pix), h, w};
		// One face at a time, as dlib computes one face (face_recognition's
		// compute_face_descriptor): its chip extracted alone and its own
		// forward pass. extract_image_chips over all faces would build one
		// image pyramid over their joint bounding box, whose pixel grid
		// (and so a large face's chip) depends on where the other faces
		// are; and a batch changes the shape of the final layer's sgemm,
		// which OpenBLAS may sum in another order.
		for (int i = 0; i < count; i++) {
			matrix<rgb_pixel> chip;
			extract_image_chip(img, get_face_chip_details(to_shape(rects[i], parts + 10 * i), 150, 0.25), chip);
			matrix<float, 0, 1> d;
			if (jitter <= 1) {
				d = n->resnet(chip);
			} else {
				// A fixed seed per face keeps jittered descriptors
				// reproducible and independent of the other faces.
				dlib::rand rnd;
				std::vector<matrix<rgb_pixel>> crops;
				for (int j = 0; j < jitter; j++) crops.push_back(jitter_image(chip, rnd));
				std::vector<matrix<float, 0, 1>> ds = n->resnet(crops, 16);
				matrix<float, 0, 1> sum = ds[0];
				for (size_t j = 1; j < ds.size(); j++) sum += ds[j];
				d = sum / float(ds.size());
			}
			if (d.size() != 128) throw dlib::error("ResNet did not return 128 values");
			for (int k = 0; k < 128; k++) desc[128 * i + k] = d(k);
		}
	});
}

void fv_net_set_hog_threads(fv_net *n, int threads) { n->hog_threads = threads < 1 ? 1 : threads; }

int fv_hog_have_avx2(void) { return facevec_hog::have_avx2() ? 1 : 0; }

int fv_hog_detect(fv_net *n, const uint8_t *pix, int w, int h, int upsample, int impl, double adjust,
                  fv_rect **out, int *count, char **err) {
	*out = nullptr;
	*count = 0;
	return guard(err, [&] {
		std::vector<rect_detection> rd;
		hog_detect(n, rgb_view{const_cast<uint8_t *>(pix), h, w}, upsample, impl, adjust, rd);
		fv_rect *r = static_cast<fv_rect *>(malloc(sizeof(fv_rect) * (rd.size() ? rd.size() : 1)));
		if (!r) throw std::bad_alloc();
		for (size_t i = 0; i < rd.size(); i++)
			r[i] = fv_rect{rd[i].rect.left(), rd[i].rect.top(), rd[i].rect.right(), rd[i].rect.bottom(),
			               rd[i].detection_confidence};
		*out = r;
		*count = int(rd.size());
	});
}

} // extern "C"
