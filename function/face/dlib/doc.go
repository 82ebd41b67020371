// Package dlib is facevec's encoder and its only cgo seam: dlib 19.24's HOG
// and CNN face detectors, the 5-point shape predictor and the ResNet face
// recognition network, bound through one C shim (dlib.h, dlib.cpp) whose
// every entry point runs under guard() so that a C++ exception becomes an
// error, never a crash. fast_conv.h replaces dlib's convolution for the
// ResNet with one that gives the same vectors bit for bit, faster.
//
// An Encoder owns a pool of workers, each with its own copy of the networks
// (a dlib network is not safe to share), so Encode may be called from any
// number of goroutines; Close frees the C memory. Decode reads images
// through face/imagefmt with dlib's own JPEG and PNG loaders plugged in,
// which keeps the vectors identical to face_recognition's.
//
// Each face's descriptor is dlib's one-face computation (its chip cut
// alone, its own forward pass), so it does not depend on the other faces
// in the photo. The ResNet's and the CNN detector's sgemm run one named
// OpenBLAS kernel set, DefaultBLAS, chosen at the first New (UseBLAS picks
// another; blas.h, blas.cpp): OpenBLAS's own per-CPU choice would give
// each host vectors of its own in the 7th digit. Results name the set as
// model.blas.
//
// Settings, model names and checksums are in package face, which is pure
// Go; only the function's main, the CLI's encode commands and tests import
// this package.
package dlib
