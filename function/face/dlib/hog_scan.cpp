// hog_scan.cpp: the scanner of hog_scan.h. The order of everything that
// reaches a score is dlib's (object_detector::operator(),
// scan_fhog_pyramid::detect, detect_from_fhog_pyramid); the arithmetic is
// in hog_kernels.h.
#include "hog_scan.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <dlib/image_transforms.h>

namespace facevec_hog {

constexpr int scanner::max_threads;

using dlib::default_fhog_feature_extractor;
using dlib::rect_detection;

namespace {

packed_rgb view_of(const dlib::array2d<dlib::rgb_pixel> &a) {
	const unsigned char *p = a.size() ? reinterpret_cast<const unsigned char *>(&a[0][0]) : nullptr;
	return packed_rgb{p, a.nr(), a.nc(), long(a.width_step())};
}

template <typename T> void grow(std::vector<T> &v, size_t n) {
	if (v.size() < n) v.resize(n);
}

// aligned32 is the first 32-byte boundary at or after p (up to 7 floats on).
float *aligned32(float *p) { return reinterpret_cast<float *>((reinterpret_cast<uintptr_t>(p) + 31) & ~uintptr_t(31)); }

} // namespace

// One filter of the detector: its threshold and its separable parts in
// dlib's order (plane by plane, part by part).
struct scanner::bank {
	double thresh = 0;
	long rl = 0, cl = 0; // row filter length (columns), column filter length (rows)
	std::vector<long> plane;
	std::vector<float> rows, cols; // parts x rl, parts x cl
};

// One pyramid level: its image (level 0 is the input) and fhog planes.
struct scanner::level {
	dlib::array2d<dlib::rgb_pixel> img;
	packed_rgb view{};
	std::vector<float> feats;
	long onr = 0, onc = 0;
	std::atomic<int> image_ready{0}, feats_ready{0};
};

// One thread's scratch memory.
struct scanner::worker {
	std::vector<float> hist, norm, px, scratch, sal;
	std::vector<int> rows, pxi;
	// resize_rgb's
	std::vector<int> left, outi;
	std::vector<float> lr, ilr, gath;
	std::vector<double> tail;
};

namespace {
void pool_join();
void pool_leave();
} // namespace

scanner::scanner(const dlib::frontal_face_detector &det) {
	const auto &sc = det.get_scanner();
	overlap = det.get_overlap_tester();
	cell_size = long(sc.get_cell_size());
	padding = long(sc.get_padding());
	fhog_w = long(sc.get_fhog_window_width());
	fhog_h = long(sc.get_fhog_window_height());
	max_levels = sc.get_max_pyramid_levels();
	min_w = sc.get_min_pyramid_layer_width();
	min_h = sc.get_min_pyramid_layer_height();
	ok = cell_size == 8 && det.num_detectors() > 0;
	const long dims = sc.get_num_dimensions();
	for (unsigned long i = 0; ok && i < det.num_detectors(); i++) {
		const auto &pw = det.get_processed_w(i);
		const auto &fb = pw.fb;
		bank b;
		b.thresh = pw.w(dims);
		// dlib's apply_filters_to_fhog runs the full 2-D filters when the
		// separable parts would be slower; the kernels only do the latter.
		if (fb.filters.empty() ||
		    double(fb.num_separable_filters()) >
		        fb.filters.size() * std::min(fb.filters[0].nr(), fb.filters[0].nc()) / 3.0) {
			ok = false;
			break;
		}
		b.rl = fb.filters[0].nc();
		b.cl = fb.filters[0].nr();
		for (size_t p = 0; p < fb.row_filters.size(); p++) {
			for (size_t j = 0; j < fb.row_filters[p].size(); j++) {
				const auto &rf = fb.row_filters[p][j];
				const auto &cf = fb.col_filters[p][j];
				if (rf.size() != b.rl || cf.size() != b.cl) ok = false;
				b.plane.push_back(long(p));
				for (long n = 0; n < rf.size(); n++) b.rows.push_back(rf(n));
				for (long n = 0; n < cf.size(); n++) b.cols.push_back(cf(n));
			}
		}
		if (b.plane.empty()) ok = false;
		banks.push_back(std::move(b));
	}
	pool_join(); // last: a constructor that throws joins nothing
}

scanner::~scanner() { pool_leave(); }

namespace {

// fhog_level is extract_fhog_features(img, hog, 8, rows_pad, cols_pad).
void fhog_level(const kernels &k, const packed_rgb &im, long rows_pad, long cols_pad, scanner::level &L,
                scanner::worker &w) {
	L.onr = L.onc = 0;
	const int cells_nr = (int)((float)im.nr / (float)8 + 0.5);
	const int cells_nc = (int)((float)im.nc / (float)8 + 0.5);
	if (cells_nr == 0 || cells_nc == 0) return;
	const long hog_nr = std::max(cells_nr - 2, 0), hog_nc = std::max(cells_nc - 2, 0);
	if (hog_nr == 0 || hog_nc == 0) return;
	const long onr = hog_nr + rows_pad - 1, onc = hog_nc + cols_pad - 1;
	grow(L.feats, size_t(31 * onr * onc + 16)); // + the filters' slack (hog_kernels.h)
	// Both with a vector's slack (16 floats) past the end: the kernels
	// read and write whole vectors.
	grow(w.hist, size_t((cells_nr + 2) * (cells_nc + 2) * 18 + 16));
	grow(w.norm, size_t(cells_nr * cells_nc + 16));
	const size_t row = size_t(im.nc + 16);
	grow(w.rows, 9 * row);
	grow(w.px, 6 * row);
	grow(w.pxi, 2 * row);
	k.fhog(im.data, im.nr, im.nc, im.stride, cells_nr, cells_nc, int(rows_pad), int(cols_pad), L.feats.data(), onr,
	       onc, w.hist.data(), w.norm.data(), w.rows.data(), w.px.data(), w.pxi.data());
	L.onr = onr;
	L.onc = onc;
}

// resize is dlib's resize_image(in, out) for RGB into out, already sized,
// its rows shared among the first `threads` of ws (each row is computed
// alone, so the split changes nothing).
void resize(const kernels &k, const packed_rgb &in, dlib::array2d<dlib::rgb_pixel> &out,
            std::vector<std::unique_ptr<scanner::worker>> &ws, int threads) {
	if (out.size() == 0 || in.nr == 0 || in.nc == 0) return;
	const long nr = out.nr();
	// A thread is worth starting for a few hundred rows, not for a few.
	threads = int(std::max(1L, std::min(long(threads), nr / 128)));
	const size_t n = size_t(out.nc() + 8);
	for (int t = 0; t < threads; t++) {
		scanner::worker &w = *ws[size_t(t)];
		grow(w.left, n);
		grow(w.lr, n);
		grow(w.ilr, n);
		grow(w.gath, 12 * n);
		grow(w.tail, 3 * n);
		grow(w.outi, n);
	}
	auto part = [&](int t) {
		scanner::worker &w = *ws[size_t(t)];
		k.resize(in.data, in.nr, in.nc, in.stride, reinterpret_cast<unsigned char *>(&out[0][0]), nr, out.nc(),
		         long(out.width_step()), nr * t / threads, nr * (t + 1) / threads, w.left.data(), w.lr.data(),
		         w.ilr.data(), w.gath.data(), w.tail.data(), w.outi.data());
	};
	// A part whose thread cannot be started runs here, after part 0.
	std::vector<std::thread> pool;
	pool.reserve(size_t(threads - 1));
	int started = 1;
	for (; started < threads; started++) {
		try {
			pool.emplace_back(part, started);
		} catch (...) { // system_error, or bad_alloc for its state
			break;
		}
	}
	part(0);
	for (int t = started; t < threads; t++) part(t);
	for (auto &t : pool) t.join();
}

// upsample2 is dlib's pyramid_up(in, out, pyramid_down<2>): out sized by
// rect_up, then resized into.
void upsample2(const kernels &k, const packed_rgb &in, dlib::array2d<dlib::rgb_pixel> &out,
               std::vector<std::unique_ptr<scanner::worker>> &ws, int threads) {
	if (in.nr == 0 || in.nc == 0) {
		out.set_size(0, 0);
		return;
	}
	const dlib::rectangle up = dlib::pyramid_down<2>().rect_up(dlib::rectangle(0, 0, in.nc - 1, in.nr - 1));
	if (up.is_empty()) {
		out.set_size(0, 0);
		return;
	}
	out.set_size(up.bottom() + 1, up.right() + 1);
	resize(k, in, out, ws, threads);
}

// downsample6 is dlib's pyramid_down<6>()(in, out), on ws[0] alone.
void downsample6(const kernels &k, const packed_rgb &in, dlib::array2d<dlib::rgb_pixel> &out,
                 std::vector<std::unique_ptr<scanner::worker>> &ws) {
	out.set_size(long(((6 - 1) * in.nr) / 6 + 0.5), long(((6 - 1) * in.nc) / 6 + 0.5));
	resize(k, in, out, ws, 1);
}

} // namespace

// A scan's buffers: the pyramid's images and features, each thread's
// scratch, the upsampled input.
struct scanner::buffers {
	std::vector<std::unique_ptr<level>> levels;
	std::vector<std::unique_ptr<worker>> workers;
	dlib::array2d<dlib::rgb_pixel> up[2];
	buffers *next = nullptr; // in the pool

	// with_workers makes sure there is scratch for `threads` threads,
	// bounded by max_threads, and says how many there are.
	int with_workers(int threads) {
		const int n = std::max(1, std::min(threads, max_threads));
		while (workers.size() < size_t(n)) workers.push_back(std::unique_ptr<worker>(new worker));
		return n;
	}
};

namespace {

// The buffers are large (about 200 MB for a 12 MP photo detected at 2000
// px and upsample 1) and are kept for the next photo, so they are pooled
// process-wide instead of kept by each scanner: a process whose workers
// take turns holds one set, not one per worker (BenchmarkPeakRSS12MP's
// warm process: 590 MiB with a set per worker). A set stays as large as
// the largest photo it served.
std::mutex pool_mu;
scanner::buffers *pool_head = nullptr;
long pool_scanners = 0; // alive; the last one to go frees the pool

void pool_join() {
	std::lock_guard<std::mutex> l(pool_mu);
	pool_scanners++;
}

// pool_leave frees the pooled sets with the last scanner, as a scanner
// used to free its own: a closed encoder gives its memory back. No set is
// leased then, since only a live scanner's detect holds one.
void pool_leave() {
	scanner::buffers *free_list = nullptr;
	{
		std::lock_guard<std::mutex> l(pool_mu);
		if (--pool_scanners == 0) std::swap(free_list, pool_head);
	}
	while (free_list) {
		std::unique_ptr<scanner::buffers> b(free_list);
		free_list = b->next;
	}
}

} // namespace

// lease takes a set from the pool (or makes one) and puts it back.
struct scanner::lease {
	std::unique_ptr<buffers> b;
	lease() {
		{
			std::lock_guard<std::mutex> l(pool_mu);
			if (pool_head) {
				b.reset(pool_head);
				pool_head = pool_head->next;
				b->next = nullptr;
			}
		}
		if (!b) b.reset(new buffers);
	}
	~lease() {
		std::lock_guard<std::mutex> l(pool_mu);
		b->next = pool_head;
		pool_head = b.release();
	}
	lease(const lease &) = delete;
	lease &operator=(const lease &) = delete;
};

void scanner::detect(const packed_rgb &img, int upsample, double adjust, isa which, int threads,
                     std::vector<rect_detection> &out) const {
	if (!ok) throw std::logic_error("hog scanner: detector layout not supported");
	const kernels &k = kernels_for(which);
	lease held;
	buffers &B = *held.b;
	if (upsample <= 0) {
		scan(img, adjust, k, threads, B, out);
		return;
	}
	// As dlib.cpp's reference path: pyramid_up once from the input, then
	// in place; here into two buffers kept across calls.
	const int nthreads = B.with_workers(threads);
	upsample2(k, img, B.up[0], B.workers, nthreads);
	int cur = 0;
	for (int i = 1; i < upsample; i++) {
		upsample2(k, view_of(B.up[cur]), B.up[1 - cur], B.workers, nthreads);
		cur = 1 - cur;
	}
	dlib::pyramid_down<2> pyr;
	scan(view_of(B.up[cur]), adjust, k, threads, B, out);
	for (auto &d : out) d.rect = pyr.rect_down(d.rect, upsample);
}

void scanner::scan(const packed_rgb &img, double adjust, const kernels &k, int threads, buffers &B,
                   std::vector<rect_detection> &out) const {
	out.clear();
	// Levels, as create_fhog_pyramid counts them.
	dlib::pyramid_down<6> pyr;
	unsigned long nlevels = 0;
	dlib::rectangle rect(0, 0, img.nc - 1, img.nr - 1);
	do {
		rect = pyr.rect_down(rect);
		++nlevels;
	} while (rect.width() >= min_w && rect.height() >= min_h && nlevels < max_levels);
	while (B.levels.size() < nlevels) B.levels.push_back(std::unique_ptr<level>(new level));
	for (unsigned long l = 0; l < nlevels; l++) {
		B.levels[l]->image_ready.store(0);
		B.levels[l]->feats_ready.store(0);
	}
	B.levels[0]->view = img;
	B.levels[0]->image_ready.store(1);

	const long nb = long(banks.size());
	// found[b][l]: bank b's detections on level l, in raster order.
	typedef std::vector<std::pair<double, dlib::rectangle>> det_list;
	std::vector<std::vector<det_list>> found;
	found.assign(static_cast<size_t>(nb), std::vector<det_list>(static_cast<size_t>(nlevels)));

	auto build_level = [&](unsigned long l) {
		level &L = *B.levels[l];
		downsample6(k, B.levels[l - 1]->view, L.img, B.workers);
		L.view = view_of(L.img);
		L.image_ready.store(1, std::memory_order_release);
	};
	const default_fhog_feature_extractor fe;
	auto filter_level = [&](unsigned long l, long b, worker &w) {
		const level &L = *B.levels[l];
		const bank &B = banks[size_t(b)];
		auto &dets = found[size_t(b)][l];
		dets.clear();
		if (L.onr == 0 || L.onc == 0) return;
		const long first_row = B.cl / 2, first_col = B.rl / 2;
		const long last_row = L.onr - (B.cl - 1) / 2, last_col = L.onc - (B.rl - 1) / 2;
		if (last_row <= first_row || last_col <= first_col) return;
		// The row pass's output and the saliency have rows of a whole
		// number of vectors, shifted so that dlib's blocks of 8 start on a
		// 32-byte boundary: the column pass then loads and stores aligned.
		const long stride = (L.onc + 7) / 8 * 8, shift = (8 - first_col % 8) % 8;
		grow(w.sal, size_t(L.onr * stride + 8 + 16));
		grow(w.scratch, size_t((last_row - first_row + B.cl) * stride + 8 + 16));
		float *scratch = aligned32(w.scratch.data()) + shift, *sal = aligned32(w.sal.data()) + shift;
		const long plane = L.onr * L.onc;
		for (size_t t = 0; t < B.plane.size(); t++)
			k.filter(L.feats.data() + B.plane[t] * plane, L.onr, L.onc, B.rows.data() + t * B.rl, B.rl,
			         B.cols.data() + t * B.cl, B.cl, first_row, last_row, scratch, sal, stride, t == 0);
		const double thresh = B.thresh + adjust;
		const long det_w = fhog_w - 2 * padding, det_h = fhog_h - 2 * padding;
		for (long r = first_row; r < last_row; r++) {
			const float *s = sal + r * stride;
			for (long c = first_col; c < last_col; c++) {
				if (s[c] >= thresh) {
					dlib::rectangle box = fe.feats_to_image(dlib::centered_rect(dlib::point(c, r), det_w, det_h),
					                                        int(cell_size), int(fhog_h), int(fhog_w));
					box = pyr.rect_up(box, (unsigned int)l);
					dets.push_back(std::make_pair(double(s[c]), box));
				}
			}
		}
	};

	const int nthreads = B.with_workers(threads);
	if (nthreads == 1) {
		for (unsigned long l = 0; l < nlevels; l++) {
			if (l > 0) build_level(l);
			fhog_level(k, B.levels[l]->view, fhog_h, fhog_w, *B.levels[l], *B.workers[0]);
			for (long b = 0; b < nb; b++) filter_level(l, b, *B.workers[0]);
		}
	} else {
		// Jobs in an order that cannot deadlock: thread 0 first builds the
		// whole image pyramid (it waits for nothing), every thread then
		// takes jobs from one counter: fhog of each level (waits for its
		// image), then each level's banks (wait for its fhog).
		// A thread that fails (bad_alloc) stops the others: no job is
		// taken after it, and a thread waiting for what the failed one
		// would have made gives up instead of waiting for ever.
		const long nfhog = long(nlevels), njobs = nfhog + long(nlevels) * nb;
		std::atomic<long> next{0};
		std::atomic<bool> fail{false};
		struct abandoned {};
		auto wait_for = [&fail](const std::atomic<int> &flag) {
			while (!flag.load(std::memory_order_acquire)) {
				if (fail.load()) throw abandoned();
				std::this_thread::yield();
			}
		};
		auto run = [&](int id) {
			worker &w = *B.workers[size_t(id)];
			if (id == 0)
				for (unsigned long l = 1; l < nlevels; l++) build_level(l);
			for (long j; (j = next.fetch_add(1)) < njobs;) {
				if (j < nfhog) {
					level &L = *B.levels[size_t(j)];
					wait_for(L.image_ready);
					fhog_level(k, L.view, fhog_h, fhog_w, L, w);
					L.feats_ready.store(1, std::memory_order_release);
				} else {
					const long f = j - nfhog;
					const unsigned long l = (unsigned long)(f / nb);
					wait_for(B.levels[l]->feats_ready);
					filter_level(l, f % nb, w);
				}
			}
		};
		std::exception_ptr failed;
		auto guarded = [&](int id) {
			try {
				run(id);
			} catch (...) {
				if (!fail.exchange(true)) failed = std::current_exception();
				next.store(njobs);
			}
		};
		// Threads that cannot be started leave their jobs to the others
		// (thread 0 alone can do them all: it builds every image first).
		std::vector<std::thread> pool;
		pool.reserve(size_t(nthreads - 1));
		for (int t = 1; t < nthreads; t++) {
			try {
				pool.emplace_back(guarded, t);
			} catch (...) { // system_error, or bad_alloc for its state
				break;
			}
		}
		guarded(0);
		for (auto &t : pool) t.join();
		if (failed) std::rethrow_exception(failed);
	}

	// object_detector::operator(): per filter, dlib's sort of its
	// detections; then the confidences, dlib's sort of them all, and the
	// non-max suppression.
	std::vector<rect_detection> accum;
	std::vector<std::pair<double, dlib::rectangle>> dets;
	for (long b = 0; b < nb; b++) {
		dets.clear();
		for (unsigned long l = 0; l < nlevels; l++) {
			const auto &f = found[size_t(b)][l];
			dets.insert(dets.end(), f.begin(), f.end());
		}
		std::sort(dets.rbegin(), dets.rend(), dlib::impl::compare_pair_rect);
		const double thresh = banks[size_t(b)].thresh;
		for (const auto &d : dets) {
			rect_detection t;
			t.detection_confidence = d.first - thresh;
			t.weight_index = (unsigned long)b;
			t.rect = d.second;
			accum.push_back(t);
		}
	}
	if (nb > 1) std::sort(accum.rbegin(), accum.rend());
	for (const auto &d : accum) {
		bool hit = false;
		for (const auto &f : out)
			if (overlap(f.rect, d.rect)) {
				hit = true;
				break;
			}
		if (!hit) out.push_back(d);
	}
}

} // namespace facevec_hog
