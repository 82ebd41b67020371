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
//     with vx0), and c0 never decreases along a row, so a bin of column C
//     gets its votes from the pixels of column C-1, then from those of C,
//     whichever order the four votes of one pixel are added in; one walk
//     along the row keeps it.
//   - The orientation of a pixel is a pure function of its integer
//     gradient, so it is looked up in a table that dlib's snap itself
//     filled (snap_table).
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

// gather32 loads VW unaligned 32-bit words at byte offsets off from base:
// one AVX2 gather, or VW loads where HOG_GATHER32 is not defined.
static inline v8i gather32(const unsigned char *base, v8i off) {
#ifdef HOG_GATHER32
	return HOG_GATHER32(base, off);
#else
	v8i out;
	for (int k = 0; k < VW; k++) {
		int v;
		__builtin_memcpy(&v, base + off[k], 4);
		out[k] = v;
	}
	return out;
#endif
}

// IEEE sqrt is correctly rounded on every path: HOG_SQRT8 is sqrtps
// (twice) or vsqrtps, defined by hog_kernels.cpp per instruction set.
static inline v8f sqrt8(v8f v) { return HOG_SQRT8(v); }

// dlib's orientation unit vectors, as the floats its matrix<float,2,1>
// holds (double literals assigned to float).
static const float dir_x[9] = {1.0000f, 0.9397f, 0.7660f, 0.500f, 0.1736f, -0.1736f, -0.5000f, -0.7660f, -0.9397f};
static const float dir_y[9] = {0.0000f, 0.3420f, 0.6428f, 0.8660f, 0.9848f, 0.9848f, 0.8660f, 0.6428f, 0.3420f};

// ---------------------------------------------------------------------------
// Orientation snap

// snap8 is dlib's snap of VW gradients to one of 18 orientations: the
// first best of the nine dot products and their negations, in dlib's
// order (both of dlib's paths decide the same).
static inline v8i snap8(v8f sgx, v8f sgy) {
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
	return best_o;
}

// snap_table holds snap8's answer for every integer gradient dlib can see,
// (gx, gy) in [-255, 255]^2, at (gy+255)*511 + gx+255: the snap is a pure
// function of the pair, and one byte load per pixel replaces 18 vector
// dot products, compares and selects. Built once per process, by snap8
// itself, so it cannot disagree with it.
static const unsigned char *snap_table() {
	static unsigned char table[511 * 511];
	static const bool built = [] {
		for (int gy = -255; gy <= 255; gy++) {
			for (int gx0 = -255; gx0 <= 255; gx0 += VW) {
				v8i gx = splati(gx0);
				for (int k = 0; k < VW; k++) gx[k] += k;
				const v8i o = snap8(to_float(gx), to_float(splati(gy)));
				for (int k = 0; k < VW && gx0 + k <= 255; k++)
					table[(gy + 255) * 511 + gx0 + k + 255] = (unsigned char)o[k];
			}
		}
		return true;
	}();
	(void)built;
	return table;
}

// ---------------------------------------------------------------------------
// fhog

// fhog computes dlib's 31 fhog planes (cell size 8) of one packed RGB
// image into out: 31 planes of onr x onc floats, the layout dlib's
// init_hog gives (hog_nr + rows_pad - 1 rows, zero borders). The caller
// (hog_scan.cpp) has sized everything; sizes and meanings:
//   rgb: nr x nc pixels, row stride `stride` bytes
//   cells_nr/nc: dlib's cells; hist: (cells_nr+2)*(cells_nc+2)*18 + VW floats;
//   norm: cells_nr*cells_nc + VW floats; rows: 9*(nc+16) ints;
//   px: 6*(nc+16) floats and pxi: 2*(nc+16) ints for per-pixel votes.
void fhog(const unsigned char *rgb, long nr, long nc, long stride, long cells_nr, long cells_nc, int rows_pad,
          int cols_pad, float *out, long onr, long onc, float *hist, float *norm, int *rows, float *px, int *pxi) {
	const int cell = 8;
	const long hog_nr = cells_nr - 2, hog_nc = cells_nc - 2;
	// hist is planar, one (cells_nr+2) x (cells_nc+2) plane per
	// orientation, so that the normalisation reads VW cells at once.
	const long hnc = cells_nc + 2; // hist row length, in cells
	const long hplane = (cells_nr + 2) * hnc;
	__builtin_memset(hist, 0, sizeof(float) * (18 * hplane + VW));

	const long visible_nr = lmin(cells_nr * cell, nr) - 1;
	const long visible_nc = lmin(cells_nc * cell, nc) - 1;
	// dlib's blocks of 8 cover x in [1, block_end); the rest is leftover.
	const long block_end = 1 + ((visible_nc - 1) / 8) * 8;
	const long w = nc + 16;
	const unsigned char *snap = snap_table();

	// Planar rows y-1, y, y+1 (a ring of three), each R, G, B as ints.
	int *ring[3] = {rows, rows + 3 * w, rows + 6 * w};
	auto split = [&](long y, int *dst) {
		const unsigned char *s = rgb + y * stride;
		int *r = dst, *g = dst + w, *b = dst + 2 * w;
		const long n = lmin(visible_nc + 1, nc);
		if (n > 0) {
			r[0] = s[0];
			g[0] = s[1];
			b[0] = s[2];
		}
		// From x = 1, VW pixels at a time: the four bytes ending at each
		// pixel (the previous B, then R G B), so no read passes the row.
		const v8i ff = splati(0xff);
		v8i at = splati(-1);
		for (int k = 0; k < VW; k++) at[k] += 3 * k;
		long x = 1;
		for (; x + VW <= n; x += VW) {
			const v8i p = gather32(s, at + int(3 * x));
			store8(r + x, (p >> 8) & ff);
			store8(g + x, (p >> 16) & ff);
			store8(b + x, (p >> 24) & ff);
		}
		for (; x < n; x++) {
			r[x] = s[3 * x];
			g[x] = s[3 * x + 1];
			b[x] = s[3 * x + 2];
		}
		for (x = n; x < n + 9; x++) r[x] = g[x] = b[x] = 0;
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
			// Integer gradients per channel and their squared lengths, exact
			// in int as in dlib's floats (at most 2*255^2 < 2^24).
			v8i gx[3], gy[3], len[3];
			for (int ch = 0; ch < 3; ch++) {
				const v8i l = load8(mid + ch * w + x - 1), r = load8(mid + ch * w + x + 1);
				const v8i t = load8(up + ch * w + x), b = load8(down + ch * w + x);
				gx[ch] = r - l;
				gy[ch] = b - t;
				len[ch] = gx[ch] * gx[ch] + gy[ch] * gy[ch];
			}
			v8i sgx, sgy, slen;
			const bool block = x < block_end;
			if (block) {
				// simd8i path: ties go to the later channel.
				v8i cmp = len[0] > len[1];
				const v8i tx = select(cmp, gx[0], gx[1]), ty = select(cmp, gy[0], gy[1]);
				const v8i tl = select(cmp, len[0], len[1]);
				cmp = tl > len[2];
				sgx = select(cmp, tx, gx[2]);
				sgy = select(cmp, ty, gy[2]);
				slen = select(cmp, tl, len[2]);
			} else {
				// Scalar path: ties keep the earlier channel.
				v8i cmp = len[1] > len[0];
				const v8i tx = select(cmp, gx[1], gx[0]), ty = select(cmp, gy[1], gy[0]);
				const v8i tl = select(cmp, len[1], len[0]);
				cmp = len[2] > tl;
				sgx = select(cmp, gx[2], tx);
				sgy = select(cmp, gy[2], ty);
				slen = select(cmp, len[2], tl);
			}
			// The orientation is looked up below (snap_table).
			store8(bin + x, (sgy + 255) * 511 + (sgx + 255));
			const v8f v = sqrt8(to_float(slen));
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
		}

		// Votes, in raster order per bin (see the top of this file): one
		// walk along the row, whose four votes per pixel go to four
		// different bins, so that runs of one orientation make four
		// chains of dependent adds, not two after two.
		float *h1 = hist + (iyp + 1) * hnc + 1;
		float *h2 = h1 + hnc;
		for (long x = 1; x < visible_nc; x++) {
			const long off = snap[bin[x]] * hplane + col[x];
			h1[off] += w10[x];
			h2[off] += w00[x];
			h1[off - 1] += w11[x];
			h2[off - 1] += w01[x];
		}
	}

	// Energy per cell, summed over orientations from 0, VW cells at a
	// time (norm has VW floats of slack past its last row).
	for (long r = 0; r < cells_nr; r++) {
		const float *h = hist + (r + 1) * hnc + 1;
		float *nrow = norm + r * cells_nc;
		for (long c = 0; c < cells_nc; c += VW) {
			v8f n = splat(0);
			for (int o = 0; o < 9; o++) {
				const v8f s = load8(h + o * hplane + c) + load8(h + (o + 9) * hplane + c);
				n = n + s * s;
			}
			store8(nrow + c, n);
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
	// dlib's four simd4f lanes per cell (the four 2x2 blocks around it)
	// become four vectors here, each over VW cells: lane k of dlib is
	// vector k, and every operation is dlib's, per cell.
	const v8f eps = splat(0.0001f);
	float tail[31 * VW];
	for (long y = 0; y < hog_nr; y++) {
		const float *n0 = norm + y * cells_nc, *n1 = n0 + cells_nc, *n2 = n1 + cells_nc;
		const float *h = hist + (y + 2) * hnc + 2;
		for (long x = 0; x < hog_nc; x += VW) {
			const v8f a00 = load8(n0 + x), a01 = load8(n0 + x + 1), a02 = load8(n0 + x + 2);
			const v8f a10 = load8(n1 + x), a11 = load8(n1 + x + 1), a12 = load8(n1 + x + 2);
			const v8f a20 = load8(n2 + x), a21 = load8(n2 + x + 1), a22 = load8(n2 + x + 2);
			// z1..z4 of dlib's lanes 0..3.
			const v8f z1[4] = {a11, a01, a10, a00}, z2[4] = {a12, a02, a11, a01};
			const v8f z3[4] = {a21, a11, a20, a10}, z4[4] = {a22, a12, a21, a11};
			v8f nn[4], nf[4], t[4];
			for (int k = 0; k < 4; k++) {
				nn[k] = splat(0.2f) * sqrt8(z1[k] + z2[k] + z3[k] + z4[k] + eps);
				nf[k] = splat(0.1f) / nn[k];
				t[k] = splat(0);
			}
			// _mm_min_ps(a, b): a < b ? a : b.
			auto hv = [&](v8f a, int k) { return select(a < nn[k], a, nn[k]) * nf[k]; };
			auto sum4 = [](const v8f *l) { return (l[0] + l[2]) + (l[1] + l[3]); };
			// Full vectors go straight to the planes; the row's last,
			// partial one goes through tail.
			const bool whole = x + VW <= hog_nc;
			float *o0 = whole ? out + (y + prow) * onc + pcol + x : tail;
			const long ostep = whole ? plane : VW;
			for (int o = 0; o < 18; o += 3) {
				v8f h0[4], h1[4], h2[4];
				const v8f g0 = load8(h + o * hplane + x), g1 = load8(h + (o + 1) * hplane + x);
				const v8f g2 = load8(h + (o + 2) * hplane + x);
				for (int k = 0; k < 4; k++) {
					h0[k] = hv(g0, k);
					h1[k] = hv(g1, k);
					h2[k] = hv(g2, k);
					t[k] = t[k] + ((h0[k] + h1[k]) + h2[k]);
				}
				store8(o0 + o * ostep, sum4(h0));
				store8(o0 + (o + 1) * ostep, sum4(h1));
				store8(o0 + (o + 2) * ostep, sum4(h2));
			}
			for (int k = 0; k < 4; k++) t[k] = t[k] * (float)(2 * 0.2357);
			for (int o = 0; o < 9; o++) {
				const v8f s = load8(h + o * hplane + x) + load8(h + (o + 9) * hplane + x);
				v8f l[4];
				for (int k = 0; k < 4; k++) l[k] = hv(s, k);
				store8(o0 + (o + 18) * ostep, sum4(l));
			}
			for (int k = 0; k < 4; k++) store8(o0 + (27 + k) * ostep, t[k]);
			if (!whole) {
				float *dst = out + (y + prow) * onc + pcol + x;
				for (int p = 0; p < 31; p++)
					for (long c = 0; c < hog_nc - x; c++) dst[p * plane + c] = tail[p * VW + c];
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Separable filters

// Each vector's sum is a chain of dependent adds, so U vectors of output
// are computed side by side to keep the adders busy; every lane still
// sums its own taps in dlib's order. The filter lengths are template
// arguments where they are the frontal face detector's (10), so that the
// tap loops unroll; 0 means "as given".
//
// dlib computes the columns past its last block of 8 one by one with a
// single accumulator; here they are one vector with a single accumulator,
// the same sum per lane, whose lanes past the last column are dropped.
// Such a vector reads up to VW-1 floats past the row it ends in: the
// caller leaves that much slack after in and scratch.
enum { U = 4 };

// taps_u sums one block of U vectors: src points at the first tap of the
// first vector, tap k of vector u at src + k*step + u*VW.
template <int LEN> static inline void taps_u(const float *src, long step, const float *f, long len, v8f out[U]) {
	if (LEN) len = LEN;
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

template <int LEN> static inline v8f taps_1(const float *src, long step, const float *f, long len) {
	if (LEN) len = LEN;
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

// taps_leftover is dlib's one-by-one sum for VW columns at once.
template <int LEN> static inline v8f taps_leftover(const float *src, long step, const float *f, long len) {
	if (LEN) len = LEN;
	v8f t = splat(0);
	for (long n = 0; n < len; ++n) t += load8(src + n * step) * f[n];
	return t;
}

template <int RL, int CL>
static void filter_term_t(const float *in, long nc, const float *rf, long rl, const float *cf, long cl, long r0,
                          long r1, float *scratch, float *sal, long stride, bool first) {
	if (RL) rl = RL;
	if (CL) cl = CL;
	const long first_row = cl / 2, first_col = rl / 2;
	const long last_col = nc - (rl - 1) / 2;
	const long in0 = r0 - first_row, in1 = r1 - first_row + cl - 1;
	// dlib's vector blocks of 8 cover [first_col, block_end).
	const long block_end = last_col - 7 > first_col ? first_col + ((last_col - first_col) / 8) * 8 : first_col;
	float lanes[VW];

	for (long r = in0; r < in1; r++) {
		const float *src = in + r * nc - first_col;
		float *dst = scratch + (r - in0) * stride;
		long c = first_col;
		for (; c + U * VW <= block_end; c += U * VW) {
			v8f o[U];
			taps_u<RL>(src + c, 1, rf, rl, o);
			for (int u = 0; u < U; u++) store8(dst + c + u * VW, o[u]);
		}
		for (; c < block_end; c += VW) store8(dst + c, taps_1<RL>(src + c, 1, rf, rl));
		for (long c0 = block_end; c0 < last_col; c0 += VW) {
			store8(lanes, taps_leftover<RL>(src + c0, 1, rf, rl));
			for (long j = 0; j < VW && c0 + j < last_col; j++) dst[c0 + j] = lanes[j];
		}
	}

	for (long r = r0; r < r1; r++) {
		const float *src = scratch + (r - r0) * stride;
		float *dst = sal + r * stride;
		long c = first_col;
		for (; c + U * VW <= block_end; c += U * VW) {
			v8f o[U];
			taps_u<CL>(src + c, stride, cf, cl, o);
			for (int u = 0; u < U; u++) {
				if (!first) o[u] += load8(dst + c + u * VW);
				store8(dst + c + u * VW, o[u]);
			}
		}
		for (; c < block_end; c += VW) {
			v8f t = taps_1<CL>(src + c, stride, cf, cl);
			if (!first) t += load8(dst + c);
			store8(dst + c, t);
		}
		for (long c0 = block_end; c0 < last_col; c0 += VW) {
			store8(lanes, taps_leftover<CL>(src + c0, stride, cf, cl));
			for (long j = 0; j < VW && c0 + j < last_col; j++) {
				if (first) dst[c0 + j] = lanes[j];
				else dst[c0 + j] += lanes[j];
			}
		}
	}
}

// filter_term runs one separable part (row filter rf[rl], column filter
// cf[cl]) of one plane (nr x nc) over output rows [r0, r1) of the
// saliency image sal (nr rows of `stride` floats), writing (first) or
// adding. scratch holds the row pass for input rows [r0-first_row,
// r1-first_row+cl-1), `stride` floats apart.
void filter_term(const float *in, long nr, long nc, const float *rf, long rl, const float *cf, long cl, long r0, long r1,
                 float *scratch, float *sal, long stride, bool first) {
	(void)nr;
	if (rl == 10 && cl == 10) filter_term_t<10, 10>(in, nc, rf, rl, cf, cl, r0, r1, scratch, sal, stride, first);
	else filter_term_t<0, 0>(in, nc, rf, rl, cf, cl, r0, r1, scratch, sal, stride, first);
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
// Only output rows [r0, r1) are written, so that threads can share an
// image. Scratch: left (onc+8 ints), lr/ilr (onc+8 floats each), gath
// (2*6*(onc+8) floats), tail (3*(onc+8) doubles), outi (onc+8 ints).
void resize_rgb(const unsigned char *in, long inr, long inc, long ins, unsigned char *out, long onr, long onc, long os,
                long r0, long r1, int *left, float *lr, float *ilr, float *gath, double *tail, int *outi) {
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
			// Where the float columns drift (downsampling rows of about
			// 78,000 pixels and more), dlib's groups of 4 run past the row
			// (writing into the next row, which then overwrites it): the
			// row's last columns are a group's lanes, not the double path.
			for (int k = 0; k < 4 && cvec + k < onc; k++) {
				left[cvec + k] = lf[k];
				const float f = cur[k] - (float)lf[k];
				lr[cvec + k] = f;
				ilr[cvec + k] = 1.0f - f;
			}
			if (cvec + 4 >= onc) {
				cvec = onc;
				break;
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
		// Four bytes at the left pixel (R G B R') and four ending at the
		// right one (B R' G' B'), so no read passes the right pixel.
		const v8i ff = splati(0xff);
		for (long c = 0; c < cvec; c += VW) {
			const v8i at = load8(left + c) * 3;
			const v8i a = gather32(src, at), b = gather32(src, at + 2);
			store8(g + c, to_float(a & ff));
			store8(g + w + c, to_float((a >> 8) & ff));
			store8(g + 2 * w + c, to_float((a >> 16) & ff));
			store8(g + 3 * w + c, to_float((b >> 8) & ff));
			store8(g + 4 * w + c, to_float((b >> 16) & ff));
			store8(g + 5 * w + c, to_float((b >> 24) & ff));
		}
		for (long c = cvec; c < cvec + 8; c++)
			for (int k = 0; k < 6; k++) g[k * w + c] = 0;
		return g;
	};

	// dlib sums y row by row; a range that starts lower sums the same.
	double y = -ys;
	for (long r = 0; r < r0; r++) y += ys;
	for (long r = r0; r < r1; r++) {
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
			v8i px = splati(0);
			for (int ch = 0; ch < 3; ch++) {
				const v8f v = tlf * load8(gt + ch * w + c) + trf * load8(gt + (3 + ch) * w + c) +
				              blf * load8(gb + ch * w + c) + brf * load8(gb + (3 + ch) * w + c);
				// dlib's (unsigned char) of the truncated int: its low byte.
				px |= (to_int(v) & 0xff) << (8 * ch);
			}
			store8(outi + c, px);
		}
		// Four pixels' 12 bytes in one 16-byte store whose last 4 the next
		// store overwrites, while that stays inside the row; then each
		// pixel as one 4-byte store, the same way, but the row's last.
		long c = 0;
		for (; c + 4 <= cvec && 3 * c + 16 <= 3 * onc; c += 4) {
			typedef unsigned char v16b __attribute__((vector_size(16)));
			v16b q;
			__builtin_memcpy(&q, outi + c, 16);
			q = __builtin_shuffle(q, v16b{0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 15, 15, 15});
			__builtin_memcpy(dst + 3 * c, &q, 16);
		}
		for (; c < cvec && c + 1 < onc; c++) __builtin_memcpy(dst + 3 * c, outi + c, 4);
		for (; c < cvec; c++) __builtin_memcpy(dst + 3 * c, outi + c, 3);
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
