// blas.cpp implements blas.h.
//
// OpenBLAS picks its kernel set once, in a constructor that runs before
// main (and, in the static Lambda binary, before any code of ours), from
// OPENBLAS_CORETYPE or else from the CPU. Its own entry points undo and
// redo that choice: gotoblas_dynamic_quit forgets the set and
// gotoblas_dynamic_init reads OPENBLAS_CORETYPE again. fv_blas_use sets
// the variable only around that call, so the process's environment (and
// what child processes inherit) is left as it was.
//
// OpenBLAS does not check that the CPU can run a set it is told to use: a
// forced Haswell set on a CPU without AVX2 dies of SIGILL on the first
// sgemm, and a name it does not know silently falls back to Prescott. So
// names and CPU features are checked here first, and the set OpenBLAS
// reports afterwards is compared with the one asked for.
#include "blas.h"
#include "cmsg.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <string>

extern "C" {
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);
char *openblas_get_corename(void);
}

namespace {

struct kernel_set {
	const char *name;  // OpenBLAS's name, as openblas_get_corename spells it
	const char *needs; // the instruction sets its kernels use
	bool (*runs)();    // whether this CPU (and OS) has them
};

#if defined(__x86_64__)
bool has_avx512() {
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

// The x86_64 sets of Debian's OpenBLAS 0.3.21 that a 64-bit CPU of the
// last fifteen years can run. Older ones (Katmai, Northwood, …) are left
// out: nothing facevec runs on lacks SSE3.
const kernel_set kernel_sets[] = {
    {"Haswell", "AVX2 and FMA", [] { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }},
    {"Zen", "AVX2 and FMA", [] { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }},
    {"SkylakeX", "AVX-512 F, BW, DQ and VL", has_avx512},
    {"Cooperlake", "AVX-512 F, BW, DQ, VL and BF16",
     [] { return has_avx512() && __builtin_cpu_supports("avx512bf16"); }},
    {"Sandybridge", "AVX", [] { return bool(__builtin_cpu_supports("avx")); }},
    {"Nehalem", "SSE4.2", [] { return bool(__builtin_cpu_supports("sse4.2")); }},
    {"Prescott", "SSE3", [] { return bool(__builtin_cpu_supports("sse3")); }},
};
#else
// No set is named on other architectures yet: OpenBLAS's own choice runs.
const kernel_set kernel_sets[] = {{nullptr, nullptr, nullptr}};
#endif

std::string known_names() {
	std::string s;
	for (const kernel_set &k : kernel_sets) {
		if (!k.name) continue;
		if (!s.empty()) s += ", ";
		s += k.name;
	}
	return s.empty() ? "none on this architecture" : s;
}

const kernel_set *find(const char *name) {
	for (const kernel_set &k : kernel_sets)
		if (k.name && strcasecmp(k.name, name) == 0) return &k;
	return nullptr;
}

// redo_choice makes OpenBLAS choose again with OPENBLAS_CORETYPE=name,
// then puts the variable back as it was.
void redo_choice(const char *name) {
	const char *was = getenv("OPENBLAS_CORETYPE");
	const std::string saved = was ? was : "";
	setenv("OPENBLAS_CORETYPE", name, 1);
	gotoblas_dynamic_quit();
	gotoblas_dynamic_init();
	if (was)
		setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
	else
		unsetenv("OPENBLAS_CORETYPE");
}

} // namespace

extern "C" {

int fv_blas_use(const char *name, char **err) {
	const kernel_set *k = find(name);
	if (!k) {
		*err = dup_msg(std::string("\"") + name + "\" (known here: " + known_names() + ")");
		return FV_BLAS_UNKNOWN;
	}
	if (!k->runs()) {
		*err = dup_msg(std::string(k->name) + " needs " + k->needs + ", which this CPU lacks");
		return FV_BLAS_UNSUPPORTED;
	}
	if (strcasecmp(fv_blas_core(), k->name) != 0) redo_choice(k->name);
	if (strcasecmp(fv_blas_core(), k->name) != 0) {
		*err = dup_msg(std::string("asked for ") + k->name);
		return FV_BLAS_NOT_TAKEN;
	}
	return 0;
}

const char *fv_blas_core(void) { return openblas_get_corename(); }

} // extern "C"
