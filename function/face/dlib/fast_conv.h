// fast_conv.h: fast_con_, an inference-only stand-in for dlib's con_ layer
// that facevec's networks use in place of con_. It holds a real con_ (so a
// model file deserialises, copies and maps coordinates exactly as dlib's
// does) and replaces only the forward pass.
//
// Why: dlib 19.24's CPU convolution (cpu::tensor_conv) builds the whole
// im2col matrix of a sample at once, one bounds-checked element at a time,
// into a fresh matrix per call. For the mmod detector on a 1 MP photo that
// matrix is about 260 MB for the first layer alone: img2col took a third of
// the time and first-touch page faults another tenth (perf, see issue 6).
// fast_con_ fills im2col a band of output rows at a time into a buffer of a
// few MiB (it stays in cache, and with facevec's malloc settings it is
// reused heap, not fresh pages), copying whole row runs, then calls the
// same BLAS sgemm dlib does.
//
// The arithmetic is dlib's: the same products summed by the same sgemm, with
// only the blocking changed, so outputs agree with con_ to float rounding
// (TestFastConvMatchesDlib and the golden results hold it to that).
#ifndef FACEVEC_FAST_CONV_H
#define FACEVEC_FAST_CONV_H

#include <dlib/dnn.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <sstream>

namespace facevec_nets {
using namespace dlib;

// fastConvBandFloats is the im2col buffer's size target, in floats (4 MiB):
// big enough that sgemm's N is in the thousands, small enough to stay in
// cache. Measured: 1 MiB and 4 MiB bands run alike, 16 MiB is 20% slower.
constexpr long fastConvBandFloats = 1L << 20;

template <long num_filters_, long nr_, long nc_, int stride_y_, int stride_x_,
          int padding_y_ = stride_y_ != 1 ? 0 : nr_ / 2,
          int padding_x_ = stride_x_ != 1 ? 0 : nc_ / 2>
class fast_con_ {
public:
	using base_type = con_<num_filters_, nr_, nc_, stride_y_, stride_x_, padding_y_, padding_x_>;

	template <typename SUBNET> void setup(const SUBNET &sub) { base.setup(sub); }

	template <typename SUBNET> void forward(const SUBNET &sub, resizable_tensor &output) {
		conv(sub.get_output(), output);
	}

	template <typename SUBNET> void backward(const tensor &, SUBNET &, tensor &) {
		throw dlib::error("fast_con_ is for inference only: train with dlib's con_");
	}

	// The receptive-field mapping the mmod loss uses to turn output
	// positions back into image boxes: con_'s own.
	dpoint map_input_to_output(dpoint p) const { return base.map_input_to_output(p); }
	dpoint map_output_to_input(dpoint p) const { return base.map_output_to_input(p); }

	const tensor &get_layer_params() const { return base.get_layer_params(); }
	tensor &get_layer_params() { return base.get_layer_params(); }

	// Same stream format as con_, so dlib's model files load unchanged.
	friend void serialize(const fast_con_ &item, std::ostream &out) { serialize(item.base, out); }
	friend void deserialize(fast_con_ &item, std::istream &in) { deserialize(item.base, in); }
	friend std::ostream &operator<<(std::ostream &out, const fast_con_ &item) { return out << "fast_" << item.base; }
	friend void to_xml(const fast_con_ &item, std::ostream &out) { to_xml(item.base, out); }

private:
	// conv computes output = filters * im2col(in) + biases, band by band.
	void conv(const tensor &in, resizable_tensor &output) {
		const long K = base.num_filters();
		const long C = in.k(), H = in.nr(), W = in.nc();
		const long py = base.padding_y(), px = base.padding_x();
		// dlib's tensor_conv asserts this; a plain error here, because a
		// second failed DLIB_CASSERT in a process calls abort().
		if (H + 2 * py < nr_ || W + 2 * px < nc_) {
			std::ostringstream msg;
			msg << "convolution: a " << nr_ << "x" << nc_ << " filter does not fit a " << H << "x" << W
			    << " input padded by " << py << "x" << px;
			throw dlib::error(msg.str());
		}
		const long OH = 1 + (H + 2 * py - nr_) / stride_y_;
		const long OW = 1 + (W + 2 * px - nc_) / stride_x_;
		const long CRS = C * nr_ * nc_;
		const tensor &params = base.get_layer_params();
		const bool bias = !base.bias_is_disabled();
		if (long(params.size()) != K * CRS + (bias ? K : 0))
			throw dlib::error("convolution: the layer's filters are for another input depth");
		const float *filters = params.host();
		const float *biases = bias ? filters + K * CRS : nullptr;

		output.set_size(in.num_samples(), K, OH, OW);
		const long band = std::min(OH, std::max(1L, fastConvBandFloats / (CRS * OW)));
		// Not zeroed: im2col writes every element.
		std::unique_ptr<float[]> col(new float[CRS * band * OW]);

		for (long n = 0; n < in.num_samples(); n++) {
			const float *x = in.host() + n * C * H * W;
			float *y = output.host() + n * K * OH * OW;
			for (long oy0 = 0; oy0 < OH; oy0 += band) {
				const long rows = std::min(band, OH - oy0);
				const long P = rows * OW;
				im2col(x, C, H, W, oy0, rows, OW, py, px, col.get());
				// y[K x P] (rows oy0.. of every output plane, ldc OH*OW) =
				// filters[K x CRS] * col[CRS x P]
				blas_bindings::cblas_sgemm(blas_bindings::CblasRowMajor, blas_bindings::CblasNoTrans,
				                           blas_bindings::CblasNoTrans, K, P, CRS, 1.0f, filters, CRS,
				                           col.get(), P, 0.0f, y + oy0 * OW, OH * OW);
			}
			if (biases) {
				for (long k = 0; k < K; k++) {
					float *plane = y + k * OH * OW;
					const float b = biases[k];
					for (long i = 0; i < OH * OW; i++) plane[i] += b;
				}
			}
		}
	}

	// im2col writes rows [oy0, oy0+rows) of the im2col matrix transposed:
	// one row of P = rows*OW values per (channel, ky, kx), zero where the
	// filter overhangs the padded border.
	static void im2col(const float *x, long C, long H, long W, long oy0, long rows, long OW,
	                   long py, long px, float *col) {
		const long P = rows * OW;
		for (long c = 0; c < C; c++) {
			for (long ky = 0; ky < nr_; ky++) {
				for (long kx = 0; kx < nc_; kx++) {
					float *dst = col + ((c * nr_ + ky) * nc_ + kx) * P;
					// Output columns whose input column ox*sx - px + kx is inside [0, W).
					const long off = kx - px;
					const long lo = off >= 0 ? 0 : (-off + stride_x_ - 1) / stride_x_;
					const long hi = std::min(OW, W - 1 - off < 0 ? 0 : (W - 1 - off) / stride_x_ + 1);
					for (long r = 0; r < rows; r++) {
						float *d = dst + r * OW;
						const long iy = (oy0 + r) * stride_y_ - py + ky;
						if (iy < 0 || iy >= H || lo >= hi) {
							std::fill(d, d + OW, 0.0f);
							continue;
						}
						// Input column ox*stride + off, in [0, W) for ox in [lo, hi).
						const float *s = x + (c * H + iy) * W;
						std::fill(d, d + lo, 0.0f);
						if (stride_x_ == 1) {
							std::memcpy(d + lo, s + lo + off, sizeof(float) * (hi - lo));
						} else {
							for (long ox = lo; ox < hi; ox++) d[ox] = s[ox * stride_x_ + off];
						}
						std::fill(d + hi, d + OW, 0.0f);
					}
				}
			}
		}
	}

	base_type base;
};

template <long num_filters, long nr, long nc, int stride_y, int stride_x, typename SUBNET>
using fast_con = add_layer<fast_con_<num_filters, nr, nc, stride_y, stride_x>, SUBNET>;

} // namespace facevec_nets

#endif
