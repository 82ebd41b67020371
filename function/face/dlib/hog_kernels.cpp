// hog_kernels.cpp compiles hog_kernels.h twice: for SSE2 (every x86_64 CPU)
// and for AVX2, and hands hog_scan.cpp the right copy at run time. The
// AVX2 copy is compiled under a target pragma, not -mavx2, so the rest of
// the package (and the static Lambda binary) stays baseline x86_64. No
// multiply-add may be fused (dlib's SSE2 build never fuses): FMA is kept
// out of the target, and fp-contract is off for this file (cgo refuses
// -ffp-contract=off in #cgo CXXFLAGS, so it is a pragma here).
#pragma GCC optimize("fp-contract=off")
#include "hog_scan.h"

#include <immintrin.h>

// The kernels pass 32-byte vectors between static inline functions only,
// which are inlined; GCC's note about the AVX calling convention does not
// apply.
#pragma GCC diagnostic ignored "-Wpsabi"

#define HOG_KERNEL_NS sse2
#define VW 4
#define HOG_SQRT8(v) ((v8f)_mm_sqrt_ps((__m128)(v)))
#include "hog_kernels.h"
#undef HOG_KERNEL_NS
#undef HOG_SQRT8
#undef VW

#pragma GCC push_options
#pragma GCC target("avx2,no-fma")
#define HOG_KERNEL_NS avx2
#define VW 8
#define HOG_SQRT8(v) ((v8f)_mm256_sqrt_ps((__m256)(v)))
#define HOG_GATHER32(base, off) ((v8i)_mm256_i32gather_epi32((const int *)(base), (__m256i)(off), 1))
#include "hog_kernels.h"
#undef HOG_KERNEL_NS
#undef HOG_SQRT8
#undef HOG_GATHER32
#undef VW
#pragma GCC pop_options

namespace facevec_hog {

const kernels &kernels_for(isa want) {
	static const kernels k_sse2 = {sse2::fhog, sse2::filter_term, sse2::resize_rgb};
	static const kernels k_avx2 = {avx2::fhog, avx2::filter_term, avx2::resize_rgb};
	if (want == isa::sse2) return k_sse2;
	if (want == isa::avx2) return k_avx2;
	return have_avx2() ? k_avx2 : k_sse2;
}

bool have_avx2() {
	static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx");
	return yes;
}

} // namespace facevec_hog
