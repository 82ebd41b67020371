// dlib_nets.h holds the two network types facevec loads, exactly as dlib's
// examples define them (dnn_face_recognition_ex.cpp,
// dnn_mmod_face_detection_ex.cpp): the serialised models only load into
// these types. Shared by the cgo seam (dlib.cpp) and the native benchmark
// baseline (bench/native), so both run the very same networks; the
// convolution layer is a template parameter, dlib's con for the baseline
// (anet_type, cnn_type) and fast_con (fast_conv.h) for facevec.
#ifndef FACEVEC_DLIB_NETS_H
#define FACEVEC_DLIB_NETS_H

#include <dlib/dnn.h>

namespace facevec_nets {
using namespace dlib;

// --- ResNet, from dlib's dnn_face_recognition_ex.cpp ---
// CON is the convolution layer, as for mmod_detector below.
template <template <long, long, long, int, int, typename> class CON>
struct face_resnet {
	template <template <int, template <typename> class, int, typename> class block,
	          int N, template <typename> class BN, typename SUBNET>
	using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;
	template <template <int, template <typename> class, int, typename> class block,
	          int N, template <typename> class BN, typename SUBNET>
	using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;
	template <int N, template <typename> class BN, int stride, typename SUBNET>
	using block = BN<CON<N, 3, 3, 1, 1, relu<BN<CON<N, 3, 3, stride, stride, SUBNET>>>>>;
	template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
	template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;
	template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
	template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
	template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
	template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
	template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;
	using net_type = loss_metric<fc_no_bias<128, avg_pool_everything<
	    alevel0<alevel1<alevel2<alevel3<alevel4<
	    max_pool<3, 3, 2, 2, relu<affine<CON<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>>>>>>>>>;
};
using anet_type = face_resnet<con>::net_type;

// --- mmod CNN detector, from dlib's dnn_mmod_face_detection_ex.cpp ---
// The convolution layer is a parameter so that facevec can run the same
// network with fast_con (fast_conv.h) while the native baseline keeps con.
template <template <long, long, long, int, int, typename> class CON>
struct mmod_detector {
	template <long num_filters, typename SUBNET> using con5d = CON<num_filters, 5, 5, 2, 2, SUBNET>;
	template <long num_filters, typename SUBNET> using con5 = CON<num_filters, 5, 5, 1, 1, SUBNET>;
	template <typename SUBNET>
	using downsampler = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16, SUBNET>>>>>>>>>;
	template <typename SUBNET> using rcon5 = relu<affine<con5<45, SUBNET>>>;
	using net_type = loss_mmod<CON<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<
	    input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;
};
using cnn_type = mmod_detector<con>::net_type;

} // namespace facevec_nets

#endif
