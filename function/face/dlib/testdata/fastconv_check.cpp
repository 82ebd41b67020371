// fastconv_check holds fast_con (fast_conv.h) to dlib's con: layer by layer
// on random tensors of every shape facevec's networks use (and some they
// don't: odd sizes, padding wider than the image, several samples, no
// bias), then whole networks on real photos: the mmod CNN's detections and
// the ResNet's descriptors with dlib's con against fast_con.
//
// Built and run by TestFastConvMatchesDlib (fastconv_test.go); it lives in
// testdata/ so that cgo does not compile it into the package.
//
//   fastconv_check MODELS_DIR IMAGE...
//
// Prints one line per check and exits 1 if any fails.
#include "dlib_nets.h"
#include "fast_conv.h"

#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>

#include <cblas.h>
#include <cmath>
#include <iostream>
#include <sstream>
#include <string>

using namespace dlib;
using namespace facevec_nets;

namespace {

int failures = 0;

void report(bool ok, const std::string &what) {
	std::cout << (ok ? "ok   " : "FAIL ") << what << "\n";
	if (!ok) failures++;
}

// sub is the smallest SUBNET a layer's setup and forward accept.
struct sub {
	resizable_tensor out;
	const tensor &get_output() const { return out; }
};

// Relative max error of b against a: float sums of up to a few thousand
// products agree to ~1e-6 of the largest value.
float rel_diff(const tensor &a, const tensor &b) {
	const float scale = std::max(1e-6f, max(abs(mat(a))));
	return max(abs(mat(a) - mat(b))) / scale;
}

template <long K, long R, long S, int SY, int SX>
void check_layer(long n, long c, long h, long w, bool bias) {
	std::ostringstream name;
	name << "layer con<" << K << "," << R << "," << S << "," << SY << "," << SX << "> on " << n << "x" << c << "x"
	     << h << "x" << w << (bias ? "" : " (no bias)");
	dlib::rand rnd(K * 1000 + h * 10 + w);
	sub in;
	in.out.set_size(n, c, h, w);
	for (auto &v : in.out) v = rnd.get_random_gaussian();

	con_<K, R, S, SY, SX> ref;
	if (!bias) ref.disable_bias();
	ref.setup(in);
	for (auto &v : ref.get_layer_params()) v = rnd.get_random_gaussian(); // biases too

	// Through serialisation: fast_con_ must read con_'s format.
	std::stringstream ss;
	serialize(ref, ss);
	fast_con_<K, R, S, SY, SX> fast;
	deserialize(fast, ss);

	resizable_tensor want, got;
	ref.forward(in, want);
	fast.forward(in, got);
	const bool same_shape = want.num_samples() == got.num_samples() && want.k() == got.k() &&
	                        want.nr() == got.nr() && want.nc() == got.nc();
	const float d = same_shape ? rel_diff(want, got) : INFINITY;
	const dpoint p(7, 3);
	const bool same_map = ref.map_output_to_input(p) == fast.map_output_to_input(p) &&
	                      ref.map_input_to_output(p) == fast.map_input_to_output(p);
	std::ostringstream msg;
	msg << name.str() << ": output " << got.num_samples() << "x" << got.k() << "x" << got.nr() << "x" << got.nc()
	    << ", max relative difference " << d << (same_map ? "" : ", coordinate maps differ");
	report(same_shape && d < 1e-5f && same_map, msg.str());
}

// check_too_small: an input the filter does not fit is a plain error (dlib's
// con_ fails a DLIB_CASSERT there, and the second one in a process aborts),
// every time.
void check_too_small() {
	dlib::rand rnd(7);
	sub in;
	in.out.set_size(1, 2, 3, 40);
	for (auto &v : in.out) v = rnd.get_random_gaussian();
	con_<4, 5, 5, 2, 2> ref;
	ref.setup(in);
	std::stringstream ss;
	serialize(ref, ss);
	fast_con_<4, 5, 5, 2, 2> fast;
	deserialize(fast, ss);
	int refused = 0;
	for (int i = 0; i < 2; i++) {
		resizable_tensor out;
		try {
			fast.forward(in, out);
		} catch (const fatal_error &) {
			// counted as not refused: a second one would abort
		} catch (const dlib::error &) {
			refused++;
		}
	}
	report(refused == 2, "layer con<4,5,5,2,2> on 1x2x3x40 (filter taller than the input): refused with dlib::error " +
	                         std::to_string(refused) + " of 2 times");
}

void check_cnn(const std::string &models, const std::string &path) {
	cnn_type ref;
	mmod_detector<fast_con>::net_type fast;
	deserialize(models + "/mmod_human_face_detector.dat") >> ref;
	deserialize(models + "/mmod_human_face_detector.dat") >> fast;
	matrix<rgb_pixel> img;
	load_image(img, path);
	const auto want = ref(img);
	const auto got = fast(img);
	bool ok = want.size() == got.size();
	std::ostringstream msg;
	msg << "cnn " << path << ": " << got.size() << " detections (dlib " << want.size() << ")";
	for (size_t i = 0; ok && i < want.size(); i++) {
		ok = want[i].rect == got[i].rect && std::abs(want[i].detection_confidence - got[i].detection_confidence) < 1e-4;
		msg << "; " << got[i].rect << " " << got[i].detection_confidence << " (dlib " << want[i].rect << " "
		    << want[i].detection_confidence << ")";
	}
	const float d = rel_diff(ref.subnet().get_output(), fast.subnet().get_output());
	msg << "; score map max relative difference " << d;
	report(ok && !want.empty() && d < 1e-5f, msg.str());
}

void check_resnet(const std::string &models, const std::string &path) {
	anet_type ref;
	face_resnet<fast_con>::net_type fast;
	shape_predictor sp;
	frontal_face_detector det;
	deserialize(models + "/dlib_face_recognition_resnet_model_v1.dat") >> ref;
	deserialize(models + "/dlib_face_recognition_resnet_model_v1.dat") >> fast;
	deserialize(models + "/shape_predictor_5_face_landmarks.dat") >> sp;
	deserialize(models + "/frontal_face_detector.dat") >> det;
	matrix<rgb_pixel> img;
	load_image(img, path);
	std::vector<chip_details> chips;
	for (const auto &r : det(img)) chips.push_back(get_face_chip_details(sp(img, r), 150, 0.25));
	dlib::array<matrix<rgb_pixel>> faces;
	extract_image_chips(img, chips, faces);
	std::vector<matrix<rgb_pixel>> batch(faces.begin(), faces.end());
	const auto want = ref(batch, 16);
	const auto got = fast(batch, 16);
	float d = 0;
	for (size_t i = 0; i < want.size(); i++) d = std::max(d, max(abs(want[i] - got[i])));
	std::ostringstream msg;
	msg << "resnet " << path << ": " << got.size() << " descriptors, max difference " << d;
	// Exact: the descriptors are face_recognition's, bit for bit, and a
	// tolerance would let them drift unseen on another BLAS or CPU.
	report(!want.empty() && want.size() == got.size() && d == 0, msg.str());
}

} // namespace

int main(int argc, char **argv) {
	if (argc < 3) {
		std::cerr << "usage: fastconv_check MODELS_DIR IMAGE...\n";
		return 2;
	}
	std::cout << "OpenBLAS core: " << openblas_get_corename() << ", config: " << openblas_get_config() << "\n";
	try {
		// The shapes facevec's networks use...
		check_layer<16, 5, 5, 2, 2>(1, 3, 61, 47, true);   // mmod downsampler, first layer
		check_layer<32, 5, 5, 2, 2>(1, 16, 29, 22, true);  // its second and third
		check_layer<45, 5, 5, 1, 1>(1, 32, 13, 11, true);  // rcon5, padding 2
		check_layer<1, 9, 9, 1, 1>(1, 45, 12, 10, true);   // mmod output layer, padding 4
		check_layer<32, 7, 7, 2, 2>(2, 3, 40, 40, true);   // ResNet input layer, a batch of 2
		check_layer<64, 3, 3, 1, 1>(3, 32, 9, 9, true);    // ResNet blocks
		check_layer<128, 3, 3, 2, 2>(2, 64, 10, 10, true); // ResNet downsampling blocks
		// ...and edges they don't reach.
		check_layer<4, 5, 5, 1, 1>(1, 2, 3, 2, true);  // padding wider than the image
		check_layer<3, 3, 3, 2, 2>(2, 1, 8, 9, false); // even/odd sizes, no bias
		check_layer<5, 1, 1, 1, 1>(1, 7, 4, 6, true);  // 1x1
		// Inputs large enough that fast_con splits im2col into bands
		// (fastConvBandFloats), as the CNN does on any real photo: each
		// band is its own sgemm, whose width decides OpenBLAS's kernel.
		check_layer<16, 5, 5, 2, 2>(1, 3, 601, 487, true); // 7 bands
		check_layer<45, 5, 5, 1, 1>(2, 32, 160, 150, true); // rcon5 at a larger pyramid level, 2 samples
		check_too_small();

		const std::string models = argv[1];
		for (int i = 2; i < argc; i++) {
			check_cnn(models, argv[i]);
			check_resnet(models, argv[i]);
		}
	} catch (const std::exception &e) {
		std::cerr << "fastconv_check: " << e.what() << "\n";
		return 1;
	}
	if (failures) {
		std::cout << failures << " checks failed\n";
		return 1;
	}
	return 0;
}
