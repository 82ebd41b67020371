// hog_kernels.h holds the arithmetic of the exact HOG scanner (hog_scan.h):
// dlib 19.24's fhog features and separable filters, rewritten for speed but
// with every floating-point operation dlib does, in dlib's order, on the
// same operands. It is included twice by hog_kernels.cpp, once per
// instruction set, inside a namespace of its own (HOG_KERNEL_NS): the code
// is written with GCC vector extensions, which compile to SSE2 pairs in one
// copy and AVX2 in the other. Neither copy may contract a multiply and an
// add (no FMA: the target lists none and the package builds with
// -ffp-contract=off), so both give dlib's SSE2 build's bits.
//
// What "dlib's order" means here, because it is the whole point:
//   - fhog (fhog.h, impl_extract_fhog_features): dlib handles pixels in
//     blocks of 8 from x = 1 and the leftover columns one by one, and the
//     two paths differ: the block path breaks a tie between colour
//     channels towards the later channel and weights a vote as
//     vy*(vx*v); the leftover path keeps the earlier channel and weights
//     (vy*vx)*v. Both are kept, per column, as dlib splits them.
//   - Histogram votes are float sums, so each bin must receive its votes in
//     the order dlib adds them: raster order of the pixels. Each pixel
//     votes into two cell columns (its own, c0, with weight vx1, and c0+1
//     with vx0), and c0 never decreases along a row, so adding every
//     pixel's c0+1 vote first and then every c0 vote keeps that order per
//     bin while each pass walks the row once.
//   - Block normalisation uses dlib's simd4f lanes and its SSE2 sum(),
//     (l0+l2)+(l1+l3).
//   - Separable filters (spatial_filtering.h,
//     float_spatially_filter_image_separable): columns in blocks of 8 use
//     three accumulators over taps n, n+1, n+2 and finish t1+(t2+t3);
//     leftover columns use one accumulator. Terms are added into the
//     saliency image plane by plane, part by part.
//
// Only raw pointers and this file's own helpers are used inside: no
// inline function from another header may be compiled here for AVX2 and
// then be picked by the linker for the SSE2 build.

#ifndef HOG_KERNEL_NS
#error "hog_kernels.h is included by hog_kernels.cpp with HOG_KERNEL_NS set"
#endif

namespace facevec_hog {
namespace HOG_KERNEL_NS {

// VW lanes per vector: 8 (AVX2) or 4 (SSE2), set by hog_kernels.cpp. The
// names say v8 for brevity; dlib's blocks of 8 are walked VW at a time,
// which changes nothing, since every lane computes on its own.
typedef float v8f __attribute__((vector_size(4 * VW)));
typedef int v8i __attribute__((vector_size(4 * VW)));
// Unaligned access.
typedef float v8f_u __attribute__((vector_size(4 * VW), aligned(4)));
typedef int v8i_u __attribute__((vector_size(4 * VW), aligned(4)));

static inline v8f load8(const float *p) { return *reinterpret_cast<const v8f_u *>(p); }
static inline v8i load8(const int *p) { return *reinterpret_cast<const v8i_u *>(p); }
static inline void store8(float *p, v8f v) { *reinterpret_cast<v8f_u *>(p) = v; }
static inline void store8(int *p, v8i v) { *reinterpret_cast<v8i_u *>(p) = v; }
static inline v8f splat(float f) { return v8f{} + f; }
static inline v8i splati(int i) { return v8i{} + i; }
static inline v8f to_float(v8i v) { return __builtin_convertvector(v, v8f); }
// Truncation, as _mm_cvttps_epi32 (dlib's simd8i(simd8f)).
static inline v8i to_int(v8f v) { return __builtin_convertvector(v, v8i); }
static inline v8f select(v8i mask, v8f a, v8f b) { return mask ? a : b; }
static inline v8i select(v8i mask, v8i a, v8i b) { return mask ? a : b; }
static inline long lmin(long a, long b) { return a < b ? a : b; }
static inline long lmax(long a, long b) { return a > b ? a : b; }

// IEEE sqrt is correctly rounded on every path: HOG_SQRT8 is sqrtps
// (twice) or vsqrtps, defined by hog_kernels.cpp per instruction set.
static inline v8f sqrt8(v8f v) { return HOG_SQRT8(v); }

// dlib's orientation unit vectors, as the floats its matrix<float,2,1>
// holds (double literals assigned to float).
static const float dir_x[9] = {1.0000f, 0.9397f, 0.7660f, 0.500f, 0.1736f, -0.1736f, -0.5000f, -0.7660f, -0.9397f};
static const float dir_y[9] = {0.0000f, 0.3420f, 0.6428f, 0.8660f, 0.9848f, 0.9848f, 0.8660f, 0.6428f, 0.3420f};

// ---------------------------------------------------------------------------
// fhog

// fhog computes dlib's 31 fhog planes (cell size 8) of one packed RGB
// image into out: 31 planes of onr x onc floats, the layout dlib's
// init_hog gives (hog_nr + rows_pad - 1 rows, zero borders). The caller
// (hog_scan.cpp) has sized everything; sizes and meanings:
//   rgb: nr x nc pixels, row stride `stride` bytes
//   cells_nr/nc: dlib's cells; hist: (cells_nr+2)*(cells_nc+2)*18 floats;
//   norm: cells_nr*cells_nc floats; rows: 9*(nc+16) ints; px: 8*(nc+16) floats
//   + 3*(nc+16) ints for per-pixel votes.
void fhog(const unsigned char *rgb, long nr, long nc, long stride, long cells_nr, long cells_nc, int rows_pad,
          int cols_pad, float *out, long onr, long onc, float *hist, float *norm, int *rows, float *px, int *pxi) {
	const int cell = 8;
	const long hog_nr = cells_nr - 2, hog_nc = cells_nc - 2;
	const long hnc = cells_nc + 2; // hist row length, in cells
	__builtin_memset(hist, 0, sizeof(float) * (cells_nr + 2) * hnc * 18);

	const long visible_nr = lmin(cells_nr * cell, nr) - 1;
	const long visible_nc = lmin(cells_nc * cell, nc) - 1;
	// dlib's blocks of 8 cover x in [1, block_end); the rest is leftover.
	const long block_end = 1 + ((visible_nc - 1) / 8) * 8;
	const long w = nc + 16;

	// Planar rows y-1, y, y+1 (a ring of three), each R, G, B as ints.
	int *ring[3] = {rows, rows + 3 * w, rows + 6 * w};
	auto split = [&](long y, int *dst) {
		const unsigned char *s = rgb + y * stride;
		int *r = dst, *g = dst + w, *b = dst + 2 * w;
		const long n = lmin(visible_nc + 1, nc);
		for (long x = 0; x < n; x++) {
			r[x] = s[3 * x];
			g[x] = s[3 * x + 1];
			b[x] = s[3 * x + 2];
		}
		for (long x = n; x < n + 9; x++) r[x] = g[x] = b[x] = 0;
	};

	// Per-pixel votes of the current row.
	float *w11 = px, *w01 = px + w, *w10 = px + 2 * w, *w00 = px + 3 * w;
	int *bin = pxi, *col = pxi + w;
	// Cell columns and x weights depend on x only: dlib's block path gives
	// xp = (x+0.5)/8+0.5, ixp = (int)xp, hist column ixp; the leftover
	// path xp = (x+0.5)/8-0.5, ixp = floor(xp), hist column ixp+1. Both
	// are exact in float and name the same column with the same weights.
	float *vx0s = px + 4 * w, *vx1s = px + 5 * w;
	for (long x = 1; x < visible_nc; x++) {
		if (x < block_end) {
			const float xp = ((float)x + 0.5f) / (float)cell + 0.5f;
			const int ixp = (int)xp;
			const float vx0 = xp - (float)ixp;
			vx0s[x] = vx0;
			vx1s[x] = 1.0f - vx0;
			col[x] = ixp;
		} else {
			const float xp = ((double)x + 0.5) / (double)cell - 0.5;
			const int ixp = (int)__builtin_floorf(xp);
			const float vx0 = xp - ixp;
			vx0s[x] = vx0;
			vx1s[x] = 1.0 - vx0;
			col[x] = ixp + 1;
		}
	}

	if (visible_nr > 1) {
		split(0, ring[0]);
		split(1, ring[1]);
	}
	for (long y = 1; y < visible_nr; y++) {
		split(y + 1, ring[(y + 1) % 3]);
		const int *up = ring[(y - 1) % 3], *mid = ring[y % 3], *down = ring[(y + 1) % 3];

		const float yp = ((float)y + 0.5) / (float)cell - 0.5;
		const int iyp = (int)__builtin_floorf(yp);
		const float vy0 = yp - iyp;
		const float vy1 = 1.0 - vy0;
		const v8f vy0v = splat(vy0), vy1v = splat(vy1);

		for (long x = 1; x < visible_nc; x += VW) {
			// Integer gradients per channel, squared lengths exact in float.
			v8f gx[3], gy[3], len[3];
			for (int ch = 0; ch < 3; ch++) {
				const v8i l = load8(mid + ch * w + x - 1), r = load8(mid + ch * w + x + 1);
				const v8i t = load8(up + ch * w + x), b = load8(down + ch * w + x);
				gx[ch] = to_float(r - l);
				gy[ch] = to_float(b - t);
				len[ch] = gx[ch] * gx[ch] + gy[ch] * gy[ch];
			}
			v8f sgx, sgy, slen;
			const bool block = x < block_end;
			if (block) {
				// simd8i path: ties go to the later channel.
				v8i cmp = len[0] > len[1];
				const v8f tx = select(cmp, gx[0], gx[1]), ty = select(cmp, gy[0], gy[1]);
				const v8f tl = select(cmp, len[0], len[1]);
				cmp = tl > len[2];
				sgx = select(cmp, tx, gx[2]);
				sgy = select(cmp, ty, gy[2]);
				slen = select(cmp, tl, len[2]);
			} else {
				// Scalar path: ties keep the earlier channel.
				v8i cmp = len[1] > len[0];
				const v8f tx = select(cmp, gx[1], gx[0]), ty = select(cmp, gy[1], gy[0]);
				const v8f tl = select(cmp, len[1], len[0]);
				cmp = len[2] > tl;
				sgx = select(cmp, gx[2], tx);
				sgy = select(cmp, gy[2], ty);
				slen = select(cmp, len[2], tl);
			}
			// Snap to one of 18 orientations (same decisions on both paths).
			v8f best_dot = splat(0.0f);
			v8i best_o = splati(0);
			for (int o = 0; o < 9; o++) {
				const v8f dot = sgx * dir_x[o] + sgy * dir_y[o];
				v8i cmp = dot > best_dot;
				best_dot = select(cmp, dot, best_dot);
				best_o = select(cmp, splati(o), best_o);
				const v8f neg = dot * -1.0f;
				cmp = neg > best_dot;
				best_dot = select(cmp, neg, best_dot);
				best_o = select(cmp, splati(o + 9), best_o);
			}
			const v8f v = sqrt8(slen);
			const v8f vx0 = load8(vx0s + x), vx1 = load8(vx1s + x);
			if (block) {
				const v8f a = vx1 * v, c = vx0 * v;
				store8(w11 + x, vy1v * a);
				store8(w01 + x, vy0v * a);
				store8(w10 + x, vy1v * c);
				store8(w00 + x, vy0v * c);
			} else {
				store8(w11 + x, (vy1v * vx1) * v);
				store8(w01 + x, (vy0v * vx1) * v);
				store8(w10 + x, (vy1v * vx0) * v);
				store8(w00 + x, (vy0v * vx0) * v);
			}
			store8(bin + x, best_o);
		}

		// Votes, in raster order per bin (see the top of this file).
		float *h1 = hist + (iyp + 1) * hnc * 18;
		float *h2 = h1 + hnc * 18;
		for (long x = 1; x < visible_nc; x++) {
			const long off = (col[x] + 1) * 18 + bin[x];
			h1[off] += w10[x];
			h2[off] += w00[x];
		}
		for (long x = 1; x < visible_nc; x++) {
			const long off = col[x] * 18 + bin[x];
			h1[off] += w11[x];
			h2[off] += w01[x];
		}
	}

	// Energy per cell, summed over orientations from 0.
	for (long r = 0; r < cells_nr; r++) {
		const float *h = hist + ((r + 1) * hnc + 1) * 18;
		float *nrow = norm + r * cells_nc;
		for (long c = 0; c < cells_nc; c++, h += 18) {
			float n = 0;
			for (int o = 0; o < 9; o++) {
				const float s = h[o] + h[o + 9];
				n += s * s;
			}
			nrow[c] = n;
		}
	}

	// Zero the padding border, then the features.
	const long plane = onr * onc;
	const int prow = (rows_pad - 1) / 2, pcol = (cols_pad - 1) / 2;
	for (int k = 0; k < 31; k++) {
		float *p = out + k * plane;
		for (long r = 0; r < onr; r++) {
			float *row = p + r * onc;
			if (r < prow || r >= prow + hog_nr) {
				__builtin_memset(row, 0, sizeof(float) * onc);
				continue;
			}
			for (long c = 0; c < pcol; c++) row[c] = 0;
			for (long c = pcol + hog_nc; c < onc; c++) row[c] = 0;
		}
	}
	const float eps = 0.0001f;
	for (long y = 0; y < hog_nr; y++) {
		const float *n0 = norm + y * cells_nc, *n1 = n0 + cells_nc, *n2 = n1 + cells_nc;
		const long orow = (y + prow) * onc + pcol;
		for (long x = 0; x < hog_nc; x++) {
			// dlib's four simd4f lanes: the four 2x2 blocks around the cell.
			const float z1[4] = {n1[x + 1], n0[x + 1], n1[x], n0[x]};
			const float z2[4] = {n1[x + 2], n0[x + 2], n1[x + 1], n0[x + 1]};
			const float z3[4] = {n2[x + 1], n1[x + 1], n2[x], n1[x]};
			const float z4[4] = {n2[x + 2], n1[x + 2], n2[x + 1], n1[x + 1]};
			float nn[4], nf[4], t[4] = {0, 0, 0, 0};
			for (int k = 0; k < 4; k++) {
				nn[k] = 0.2f * __builtin_sqrtf(z1[k] + z2[k] + z3[k] + z4[k] + eps);
				nf[k] = 0.1f / nn[k];
			}
			const float *h = hist + ((y + 2) * hnc + x + 2) * 18;
			float *o0 = out + orow + x;
			// _mm_min_ps(a, b): a < b ? a : b.
			auto hv = [&](float a, int k) { return (a < nn[k] ? a : nn[k]) * nf[k]; };
			auto sum4 = [](const float *l) { return (l[0] + l[2]) + (l[1] + l[3]); };
			for (int o = 0; o < 18; o += 3) {
				float h0[4], h1[4], h2[4];
				for (int k = 0; k < 4; k++) {
					h0[k] = hv(h[o], k);
					h1[k] = hv(h[o + 1], k);
					h2[k] = hv(h[o + 2], k);
					t[k] = t[k] + ((h0[k] + h1[k]) + h2[k]);
				}
				o0[o * plane] = sum4(h0);
				o0[(o + 1) * plane] = sum4(h1);
				o0[(o + 2) * plane] = sum4(h2);
			}
			for (int k = 0; k < 4; k++) t[k] = t[k] * (float)(2 * 0.2357);
			for (int o = 0; o < 9; o++) {
				const float s = h[o] + h[o + 9];
				float l[4];
				for (int k = 0; k < 4; k++) l[k] = hv(s, k);
				o0[(o + 18) * plane] = sum4(l);
			}
			for (int k = 0; k < 4; k++) o0[(27 + k) * plane] = t[k];
		}
	}
}

// ---------------------------------------------------------------------------
// Separable filters

// filter_term runs one separable part (row filter rf[rl], column filter
// cf[cl]) of one plane (nr x nc) over output rows [r0, r1) of the
// saliency image sal (nr x nc), writing (first) or adding. scratch holds
// the row pass for input rows [r0-first_row, r1-first_row+cl-1), nc wide.
//
// Each vector's sum is a chain of dependent adds, so U vectors of output
// are computed side by side to keep the adders busy; every lane still
// sums its own taps in dlib's order.
enum { U = 2 };

// taps sums one block of U vectors: src points at the first tap of the
// first vector, tap k of vector u at src + k*step + u*VW.
static inline void taps_u(const float *src, long step, const float *f, long len, v8f out[U]) {
	v8f t1[U], t2[U], t3[U];
	for (int u = 0; u < U; u++) t1[u] = t2[u] = t3[u] = splat(0);
	long n = 0;
	for (; n < len - 2; n += 3) {
		const float f0 = f[n], f1 = f[n + 1], f2 = f[n + 2];
		for (int u = 0; u < U; u++) {
			t1[u] += load8(src + n * step + u * VW) * f0;
			t2[u] += load8(src + (n + 1) * step + u * VW) * f1;
			t3[u] += load8(src + (n + 2) * step + u * VW) * f2;
		}
	}
	for (; n < len; ++n)
		for (int u = 0; u < U; u++) t1[u] += load8(src + n * step + u * VW) * f[n];
	for (int u = 0; u < U; u++) out[u] = t1[u] + (t2[u] + t3[u]);
}

static inline v8f taps_1(const float *src, long step, const float *f, long len) {
	v8f t1 = splat(0), t2 = splat(0), t3 = splat(0);
	long n = 0;
	for (; n < len - 2; n += 3) {
		t1 += load8(src + n * step) * f[n];
		t2 += load8(src + (n + 1) * step) * f[n + 1];
		t3 += load8(src + (n + 2) * step) * f[n + 2];
	}
	for (; n < len; ++n) t1 += load8(src + n * step) * f[n];
	return t1 + (t2 + t3);
}

void filter_term(const float *in, long nr, long nc, const float *rf, long rl, const float *cf, long cl, long r0, long r1,
                 float *scratch, float *sal, bool first) {
	(void)nr;
	const long first_row = cl / 2, first_col = rl / 2;
	const long last_col = nc - (rl - 1) / 2;
	const long in0 = r0 - first_row, in1 = r1 - first_row + cl - 1;
	// dlib's vector blocks of 8 cover [first_col, block_end).
	const long block_end = last_col - 7 > first_col ? first_col + ((last_col - first_col) / 8) * 8 : first_col;

	for (long r = in0; r < in1; r++) {
		const float *src = in + r * nc - first_col;
		float *dst = scratch + (r - in0) * nc;
		long c = first_col;
		for (; c + U * VW <= block_end; c += U * VW) {
			v8f o[U];
			taps_u(src + c, 1, rf, rl, o);
			for (int u = 0; u < U; u++) store8(dst + c + u * VW, o[u]);
		}
		for (; c < block_end; c += VW) store8(dst + c, taps_1(src + c, 1, rf, rl));
		for (; c < last_col; ++c) {
			float t = 0;
			for (long n = 0; n < rl; ++n) t += src[c + n] * rf[n];
			dst[c] = t;
		}
	}

	for (long r = r0; r < r1; r++) {
		const float *src = scratch + (r - r0) * nc;
		float *dst = sal + r * nc;
		long c = first_col;
		for (; c + U * VW <= block_end; c += U * VW) {
			v8f o[U];
			taps_u(src + c, nc, cf, cl, o);
			for (int u = 0; u < U; u++) {
				if (!first) o[u] += load8(dst + c + u * VW);
				store8(dst + c + u * VW, o[u]);
			}
		}
		for (; c < block_end; c += VW) {
			v8f t = taps_1(src + c, nc, cf, cl);
			if (!first) t += load8(dst + c);
			store8(dst + c, t);
		}
		for (; c < last_col; ++c) {
			float t = 0;
			for (long m = 0; m < cl; ++m) t += src[m * nc + c] * cf[m];
			if (first) dst[c] = t;
			else dst[c] += t;
		}
	}
}

// ---------------------------------------------------------------------------
// Bilinear resize

// resize_rgb is dlib's resize_image(in, out) for two RGB images
// (interpolation.h, the interpolate_bilinear overload for RGB), which both
// pyramid_down<6> and pyramid_up use: rows walk y += y_scale in double;
// columns go in groups of 4 through dlib's simd4f path (x accumulated in
// float, truncated, weights in float, ((tl+tr)+bl)+br, truncated) until a
// group's last right neighbour leaves the image, and the rest through the
// double path (truncated). The column tables depend on the column only, so
// they are built once; each input row's pixels at the left and right
// columns are gathered once into float rows and reused by the output rows
// that read it.
//
// Scratch: left (onc+8 ints), lr/ilr (onc+8 floats each), gath
// (2*6*(onc+8) floats), tail (3*(onc+8) doubles), outi (3*(onc+8) ints).
void resize_rgb(const unsigned char *in, long inr, long inc, long ins, unsigned char *out, long onr, long onc, long os,
                int *left, float *lr, float *ilr, float *gath, double *tail, int *outi) {
	if (onr <= 0 || onc <= 0 || inr <= 0 || inc <= 0) return;
	const double xs = (inc - 1) / (double)lmax(onc - 1, 1);
	const double ys = (inr - 1) / (double)lmax(onr - 1, 1);
	const long w = onc + 8;

	long cvec = 0;
	{
		const double x = -4 * xs;
		float cur[4] = {(float)x, (float)(x + xs), (float)(x + 2 * xs), (float)(x + 3 * xs)};
		const float step = (float)(4 * xs);
		for (;;) {
			int lf[4];
			for (int k = 0; k < 4; k++) {
				cur[k] = cur[k] + step;
				lf[k] = (int)cur[k];
			}
			if (lf[3] + 1 >= inc) break;
			if (cvec + 4 > onc) break; // dlib would write past the row; never seen
			for (int k = 0; k < 4; k++) {
				left[cvec + k] = lf[k];
				const float f = cur[k] - (float)lf[k];
				lr[cvec + k] = f;
				ilr[cvec + k] = 1.0f - f;
			}
			cvec += 4;
		}
	}
	for (long c = cvec; c < cvec + 8; c++) {
		left[c] = 0;
		lr[c] = ilr[c] = 0;
	}
	double *tl_left = tail, *tl_right = tail + w, *tl_frac = tail + 2 * w;
	{
		double x = -xs + cvec * xs;
		for (long c = cvec; c < onc; c++) {
			x += xs;
			const long l = (long)__builtin_floor(x);
			tl_left[c] = (double)l;
			tl_right[c] = (double)lmin(l + 1, inc - 1);
			tl_frac[c] = x - l;
		}
	}

	// Two gathered input rows: L and R per channel, cvec floats each.
	long cached[2] = {-1, -1};
	int next_slot = 0;
	auto gathered = [&](long row) -> const float * {
		for (int i = 0; i < 2; i++)
			if (cached[i] == row) return gath + i * 6 * w;
		const int i = next_slot;
		next_slot ^= 1;
		cached[i] = row;
		float *g = gath + i * 6 * w;
		const unsigned char *src = in + row * ins;
		for (long c = 0; c < cvec; c++) {
			const unsigned char *pl = src + 3 * left[c], *pr = pl + 3;
			g[c] = pl[0];
			g[w + c] = pl[1];
			g[2 * w + c] = pl[2];
			g[3 * w + c] = pr[0];
			g[4 * w + c] = pr[1];
			g[5 * w + c] = pr[2];
		}
		for (long c = cvec; c < cvec + 8; c++)
			for (int k = 0; k < 6; k++) g[k * w + c] = 0;
		return g;
	};

	double y = -ys;
	for (long r = 0; r < onr; r++) {
		y += ys;
		const long top = (long)__builtin_floor(y);
		const long bottom = lmin(top + 1, inr - 1);
		const double tb = y - top;
		const float tbf = (float)tb, itbf = (float)(1 - tb);
		const float *gt = gathered(top);
		const float *gb = gathered(bottom);
		unsigned char *dst = out + r * os;
		const v8f tbv = splat(tbf), itbv = splat(itbf);
		for (long c = 0; c < cvec; c += VW) {
			const v8f il = load8(ilr + c), fl = load8(lr + c);
			const v8f tlf = itbv * il, trf = itbv * fl, blf = tbv * il, brf = tbv * fl;
			for (int ch = 0; ch < 3; ch++) {
				const v8f v = tlf * load8(gt + ch * w + c) + trf * load8(gt + (3 + ch) * w + c) +
				              blf * load8(gb + ch * w + c) + brf * load8(gb + (3 + ch) * w + c);
				store8(outi + ch * w + c, to_int(v));
			}
		}
		for (long c = 0; c < cvec; c++) {
			dst[3 * c] = (unsigned char)outi[c];
			dst[3 * c + 1] = (unsigned char)outi[w + c];
			dst[3 * c + 2] = (unsigned char)outi[2 * w + c];
		}
		const unsigned char *st = in + top * ins, *sb = in + bottom * ins;
		for (long c = cvec; c < onc; c++) {
			const long l = (long)tl_left[c], rr = (long)tl_right[c];
			const double f = tl_frac[c];
			for (int ch = 0; ch < 3; ch++) {
				const double v = (1 - tb) * ((1 - f) * st[3 * l + ch] + f * st[3 * rr + ch]) +
				                 tb * ((1 - f) * sb[3 * l + ch] + f * sb[3 * rr + ch]);
				dst[3 * c + ch] = (unsigned char)v;
			}
		}
	}
}

} // namespace HOG_KERNEL_NS
} // namespace facevec_hog
