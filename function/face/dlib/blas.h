// blas.h is the C seam to OpenBLAS's kernel choice: which of its built-in
// kernel sets (DYNAMIC_ARCH) runs the sgemm behind every convolution.
// Kernel sets round differently (about 1e-7 per descriptor value), so
// facevec names one instead of taking what OpenBLAS detects on each CPU.
#ifndef FACEVEC_BLAS_H
#define FACEVEC_BLAS_H

#ifdef __cplusplus
extern "C" {
#endif

// Why fv_blas_use failed.
enum { FV_BLAS_UNKNOWN = 1, FV_BLAS_UNSUPPORTED = 2, FV_BLAS_NOT_TAKEN = 3 };

// fv_blas_use makes OpenBLAS run the kernel set called name (as
// OPENBLAS_CORETYPE spells it, any case) from now on. Call it before the
// first BLAS call of the process. 0 on success; otherwise one of the codes
// above with *err set (malloc'd) and OpenBLAS left on the kernels it ran.
int fv_blas_use(const char *name, char **err);

// fv_blas_core is the kernel set OpenBLAS runs (a static string).
const char *fv_blas_core(void);

#ifdef __cplusplus
}
#endif
#endif
