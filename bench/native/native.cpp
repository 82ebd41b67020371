// native is the baseline facevec is measured against: the same dlib models
// and the same per-stage calls (as dlib's Python bindings, which
// face_recognition uses, make them), but called straight from C++ with the
// default glibc malloc and OpenBLAS pinned to one thread. It prints one JSON
// line per image per stage:
//
//   {"image":"grace_hopper","w":512,"h":600,"faces":1,"stage":"describe",
//    "median_ns":...,"min_ns":...,"max_ns":...,"cpu_median_ns":...,"n":5,"round":1,
//    "blas":"Haswell"}
//
// median/min/max are wall time over n runs (after one untimed warm-up run);
// cpu_median_ns is the median of the per-run process CPU times (user + system), which a loaded
// machine disturbs far less. blas is the OpenBLAS kernel set the run used
// (openblas_get_corename: what OpenBLAS detected for this CPU, or what
// OPENBLAS_CORETYPE chose), since the ResNet's and the CNN's sgemm time
// depends on it and facevec pins its own.
//
// Image labels are file stems with white space turned into '_', which is how
// `go test` names the matching sub-benchmarks, so bench/compare can pair them.
//
//   native [--models DIR] [--n N] [--cnn] [--cnn-n N] [--stages a,b] [--round R] IMAGE...
//
// Build: g++ -O3 -std=c++14 -I function/face/dlib native.cpp -ldlib -lopenblas -lpng16 -ljpeg -lz -lpthread
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <dlib/dnn.h>
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include "dlib_nets.h" // function/face/dlib: the same network types as facevec

extern "C" void openblas_set_num_threads(int);
extern "C" char *openblas_get_corename(void);

namespace {
using namespace dlib;

using facevec_nets::anet_type;
using facevec_nets::cnn_type;

using image = array2d<rgb_pixel>;
using clock_type = std::chrono::steady_clock;

struct options {
	std::string models;
	int n = 5;
	int cnn_n = 1;
	bool cnn = false;
	int round = 0;
	std::set<std::string> stages; // empty: all (CNN only with --cnn)
	std::vector<std::string> images;
};

[[noreturn]] void usage(const std::string &why) {
	std::cerr << "native: " << why << "\n"
	          << "usage: native [--models DIR] [--n N] [--cnn] [--cnn-n N] [--stages a,b] [--round R] IMAGE...\n"
	          << "stages: decode detect_hog_up0 detect_hog_up1 detect_cnn_up0 landmarks describe whole\n";
	std::exit(2);
}

int positive(const char *flag, const char *v) {
	char *end = nullptr;
	long n = std::strtol(v, &end, 10);
	if (*v == 0 || *end != 0 || n < 0 || n > 1000000) usage(std::string(flag) + ": want a count, got \"" + v + "\"");
	return int(n);
}

options parse(int argc, char **argv) {
	options o;
	if (const char *m = std::getenv("FACEVEC_MODELS")) o.models = m;
	if (o.models.empty()) o.models = "models";
	static const std::set<std::string> known = {"decode", "detect_hog_up0", "detect_hog_up1",
	                                            "detect_cnn_up0", "landmarks", "describe", "whole"};
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		auto value = [&]() -> const char * {
			if (i + 1 >= argc) usage(a + " needs a value");
			return argv[++i];
		};
		if (a == "--models") o.models = value();
		else if (a == "--n") o.n = positive("--n", value());
		else if (a == "--cnn-n") o.cnn_n = positive("--cnn-n", value());
		else if (a == "--round") o.round = positive("--round", value());
		else if (a == "--cnn") o.cnn = true;
		else if (a == "--stages") {
			std::stringstream ss(value());
			std::string s;
			while (std::getline(ss, s, ',')) {
				if (!known.count(s)) usage("unknown stage \"" + s + "\"");
				o.stages.insert(s);
			}
		} else if (a == "-h" || a == "--help") usage("help");
		else if (a.size() > 1 && a[0] == '-') usage("unknown flag " + a);
		else o.images.push_back(a);
	}
	if (o.images.empty()) usage("no images");
	if (o.n < 1 || o.cnn_n < 1) usage("--n and --cnn-n must be at least 1");
	if (o.stages.count("detect_cnn_up0")) o.cnn = true;
	return o;
}

// label is the file stem with white space as '_' (go test's sub-benchmark naming).
std::string label(const std::string &path) {
	std::string s = path.substr(path.find_last_of('/') + 1);
	const auto dot = s.find_last_of('.');
	if (dot != std::string::npos && dot > 0) s = s.substr(0, dot);
	for (auto &c : s)
		if (c == ' ' || c == '\t' || c == '\n') c = '_';
	return s;
}

std::string json_string(const std::string &s) {
	std::string out = "\"";
	for (unsigned char c : s) {
		if (c == '"' || c == '\\') out += '\\', out += char(c);
		else if (c < 0x20) {
			char buf[8];
			std::snprintf(buf, sizeof buf, "\\u%04x", c);
			out += buf;
		} else out += char(c);
	}
	return out + "\"";
}

std::vector<unsigned char> read_file(const std::string &path) {
	std::ifstream f(path, std::ios::binary);
	if (!f) throw dlib::error("cannot open " + path);
	std::vector<unsigned char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
	if (b.empty()) throw dlib::error(path + " is empty");
	return b;
}

// decode mirrors facevec's fv_decode: dlib's loaders on the bytes in memory.
void decode(const std::vector<unsigned char> &b, image &img) {
	if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) {
		jpeg_loader(b.data(), b.size()).get_image(img);
	} else if (b.size() >= 8 && std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) == 0) {
		png_loader(b.data(), b.size()).get_image(img);
	} else {
		throw dlib::error("not a JPEG or PNG file (the only formats dlib's loaders read)");
	}
}

// hog mirrors dlib's Python run_detector_with_upscale.
std::vector<rect_detection> hog(frontal_face_detector &det, const image &img, int upsample) {
	std::vector<rect_detection> rd;
	if (upsample == 0) {
		det(img, rd, 0.0);
		return rd;
	}
	pyramid_down<2> pyr;
	image up;
	pyramid_up(img, up, pyr);
	for (int i = 1; i < upsample; i++) pyramid_up(up);
	det(up, rd, 0.0);
	for (auto &d : rd) d.rect = pyr.rect_down(d.rect, upsample);
	return rd;
}

// cnn mirrors dlib's Python cnn_face_detection_model_v1.__call__ (upsample 0).
std::vector<mmod_rect> cnn(cnn_type &net, const image &img) {
	matrix<rgb_pixel> m;
	assign_image(m, img);
	return net(m);
}

std::vector<full_object_detection> landmarks(shape_predictor &sp, const image &img,
                                             const std::vector<rect_detection> &rd) {
	std::vector<full_object_detection> shapes;
	for (auto &d : rd) shapes.push_back(sp(img, d.rect));
	return shapes;
}

// describe mirrors face_recognition's compute_face_descriptor (jitter 0,
// padding 0.25), called once per face: that face's chip extracted alone and
// its own forward pass. That one-face computation is what facevec does for
// every face (so a face's vector does not depend on the other faces in the
// photo) and so the reference it is held to, rather than
// compute_face_descriptors' one chip extraction and one batch over all faces.
std::vector<matrix<float, 0, 1>> describe(anet_type &net, const image &img,
                                          const std::vector<full_object_detection> &shapes) {
	std::vector<matrix<float, 0, 1>> out;
	for (auto &s : shapes) {
		matrix<rgb_pixel> chip;
		extract_image_chip(img, get_face_chip_details(s, 150, 0.25), chip);
		out.push_back(net(chip));
	}
	return out;
}

// cpu_ns is the CPU time (user + system) this process has used: unlike
// wall time it hardly moves when other work shares the machine.
long long cpu_ns() {
	timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long median(std::vector<long long> v) {
	std::sort(v.begin(), v.end());
	return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// measure prints faces after running f, so a detection stage's f can
// record what it found there.
template <typename F> void measure(const options &o, const std::string &img, long w, long h, const size_t &faces,
                                   const char *stage, int n, F f) {
	f(); // one untimed run: first-touch allocations, caches
	std::vector<long long> ns, cpu;
	for (int i = 0; i < n; i++) {
		const long long c = cpu_ns();
		const auto t = clock_type::now();
		f();
		ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t).count());
		cpu.push_back(cpu_ns() - c);
	}
	std::cout << "{\"image\":" << json_string(img) << ",\"w\":" << w << ",\"h\":" << h
	          << ",\"faces\":" << faces << ",\"stage\":\"" << stage << "\",\"median_ns\":" << median(ns)
	          << ",\"min_ns\":" << *std::min_element(ns.begin(), ns.end())
	          << ",\"max_ns\":" << *std::max_element(ns.begin(), ns.end())
	          << ",\"cpu_median_ns\":" << median(cpu) << ",\"n\":" << n
	          << ",\"round\":" << o.round << ",\"blas\":" << json_string(openblas_get_corename()) << "}"
	          << std::endl;
}

int run(const options &o) {
	// The baseline facevec is held to: OpenBLAS on one thread (facevec
	// pins it too and parallelises across images), default malloc.
	openblas_set_num_threads(1);

	frontal_face_detector det;
	shape_predictor sp;
	anet_type net;
	cnn_type cnet;
	deserialize(o.models + "/frontal_face_detector.dat") >> det;
	deserialize(o.models + "/shape_predictor_5_face_landmarks.dat") >> sp;
	deserialize(o.models + "/dlib_face_recognition_resnet_model_v1.dat") >> net;
	if (o.cnn) deserialize(o.models + "/mmod_human_face_detector.dat") >> cnet;

	auto want = [&](const char *s) {
		if (std::strcmp(s, "detect_cnn_up0") == 0 && !o.cnn) return false;
		return o.stages.empty() || o.stages.count(s) > 0;
	};

	for (const auto &path : o.images) {
		const std::string name = label(path);
		const std::vector<unsigned char> bytes = read_file(path);
		image img;
		try {
			decode(bytes, img);
		} catch (const std::exception &e) {
			throw dlib::error("decode " + path + ": " + e.what());
		}
		const long w = img.nc(), h = img.nr();
		// The faces every later stage works on: HOG with one upsample, the
		// Lambda's default.
		const std::vector<rect_detection> rd = hog(det, img, 1);
		const std::vector<full_object_detection> shapes = landmarks(sp, img, rd);
		const size_t faces = rd.size();

		if (want("decode")) measure(o, name, w, h, faces, "decode", o.n, [&] {
			image tmp;
			decode(bytes, tmp);
		});
		// Detection stages report what they found (up0 may find fewer).
		size_t found = 0;
		if (want("detect_hog_up0")) measure(o, name, w, h, found, "detect_hog_up0", o.n, [&] { found = hog(det, img, 0).size(); });
		if (want("detect_hog_up1")) measure(o, name, w, h, found, "detect_hog_up1", o.n, [&] { found = hog(det, img, 1).size(); });
		if (want("detect_cnn_up0")) measure(o, name, w, h, found, "detect_cnn_up0", o.cnn_n, [&] { found = cnn(cnet, img).size(); });
		if (want("landmarks") && faces > 0) measure(o, name, w, h, faces, "landmarks", o.n, [&] { landmarks(sp, img, rd); });
		if (want("describe") && faces > 0) measure(o, name, w, h, faces, "describe", o.n, [&] { describe(net, img, shapes); });
		if (want("whole")) measure(o, name, w, h, faces, "whole", o.n, [&] {
			image tmp;
			decode(bytes, tmp);
			auto r = hog(det, tmp, 1);
			auto s = landmarks(sp, tmp, r);
			if (!s.empty()) describe(net, tmp, s);
		});
	}
	return 0;
}
} // namespace

int main(int argc, char **argv) {
	const options o = parse(argc, argv);
	try {
		return run(o);
	} catch (const std::exception &e) {
		std::cerr << "native: " << e.what() << "\n";
		return 1;
	}
}
