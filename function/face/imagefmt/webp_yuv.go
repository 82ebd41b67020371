package imagefmt

import "image"

// Lossy WebP (VP8) stores limited-range BT.601 YUV 4:2:0, but
// x/image/webp returns it as an image.YCbCr, whose conversion assumes
// full-range JPEG YCbCr: blacks come out grey, whites dim and colours
// washed out (golang.org/issue/40173). Pillow, and so face_recognition,
// decode WebP with libwebp, so this file reproduces libwebp's default
// output bit for bit: its fixed-point YUV->RGB (src/dsp/yuv.h) and its
// "fancy" chroma upsampling (src/dsp/upsampling.c, driven as in
// EmitFancyRGB in src/dec/io_dec.c).

// vp8Clip8 descales a 6-bit fixed-point value and clamps it to a byte.
func vp8Clip8(v int) uint8 {
	const mask = (256 << 6) - 1
	if v&^mask == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// mulHi emulates _mm_mulhi_epu16 on an 8-bit sample shifted left by 8.
func mulHi(v, coeff int) int { return (v * coeff) >> 8 }

// vp8YUVToRGB is libwebp's VP8YuvToRgb.
func vp8YUVToRGB(y, u, v uint8, dst []byte) {
	yy := mulHi(int(y), 19077)
	dst[0] = vp8Clip8(yy + mulHi(int(v), 26149) - 14234)
	dst[1] = vp8Clip8(yy - mulHi(int(u), 6419) - mulHi(int(v), 13320) + 8708)
	dst[2] = vp8Clip8(yy + mulHi(int(u), 33050) - 17685)
}

// vp8ToRGB converts a decoded VP8 frame (4:2:0) as libwebp does.
func vp8ToRGB(m *image.YCbCr) *RGB {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	dst := NewRGB(w, h)
	if w == 0 || h == 0 {
		return dst
	}
	yRow := func(y int) []byte { return m.Y[y*m.YStride : y*m.YStride+w] }
	cw := (w + 1) / 2
	uRow := func(cy int) []byte { return m.Cb[cy*m.CStride : cy*m.CStride+cw] }
	vRow := func(cy int) []byte { return m.Cr[cy*m.CStride : cy*m.CStride+cw] }
	out := func(y int) []byte { return dst.Pix[3*w*y : 3*w*(y+1)] }

	// The first row mirrors its chroma row; then each pair of rows
	// (2k+1, 2k+2) interpolates between chroma rows k and k+1; an even
	// height leaves a last row with only its own chroma row.
	upsampleLinePair(yRow(0), nil, uRow(0), vRow(0), uRow(0), vRow(0), out(0), nil)
	y := 0
	for ; y+2 < h; y += 2 {
		k := y / 2
		upsampleLinePair(yRow(y+1), yRow(y+2), uRow(k), vRow(k), uRow(k+1), vRow(k+1), out(y+1), out(y+2))
	}
	if h%2 == 0 {
		k := y / 2
		upsampleLinePair(yRow(h-1), nil, uRow(k), vRow(k), uRow(k), vRow(k), out(h-1), nil)
	}
	return dst
}

// upsampleLinePair is libwebp's UpsampleRgbLinePair_C: it interpolates
// chroma for a top and an optional bottom luma row from the chroma rows
// above (tu, tv) and below (cu, cv) them, weighting the four nearest
// samples 9:3:3:1.
func upsampleLinePair(topY, botY, tu, tv, cu, cv, topDst, botDst []byte) {
	n := len(topY)
	last := (n - 1) >> 1
	tlU, tlV := int(tu[0]), int(tv[0]) // top-left sample
	lU, lV := int(cu[0]), int(cv[0])   // left sample
	vp8YUVToRGB(topY[0], uint8((3*tlU+lU+2)>>2), uint8((3*tlV+lV+2)>>2), topDst)
	if botY != nil {
		vp8YUVToRGB(botY[0], uint8((3*lU+tlU+2)>>2), uint8((3*lV+tlV+2)>>2), botDst)
	}
	for x := 1; x <= last; x++ {
		tU, tV := int(tu[x]), int(tv[x]) // top sample
		U, V := int(cu[x]), int(cv[x])   // sample
		avgU, avgV := tlU+tU+lU+U+8, tlV+tV+lV+V+8
		d12U, d12V := (avgU+2*(tU+lU))>>3, (avgV+2*(tV+lV))>>3
		d03U, d03V := (avgU+2*(tlU+U))>>3, (avgV+2*(tlV+V))>>3
		vp8YUVToRGB(topY[2*x-1], uint8((d12U+tlU)>>1), uint8((d12V+tlV)>>1), topDst[3*(2*x-1):])
		vp8YUVToRGB(topY[2*x], uint8((d03U+tU)>>1), uint8((d03V+tV)>>1), topDst[3*(2*x):])
		if botY != nil {
			vp8YUVToRGB(botY[2*x-1], uint8((d03U+lU)>>1), uint8((d03V+lV)>>1), botDst[3*(2*x-1):])
			vp8YUVToRGB(botY[2*x], uint8((d12U+U)>>1), uint8((d12V+V)>>1), botDst[3*(2*x):])
		}
		tlU, tlV, lU, lV = tU, tV, U, V
	}
	if n%2 == 0 {
		vp8YUVToRGB(topY[n-1], uint8((3*tlU+lU+2)>>2), uint8((3*tlV+lV+2)>>2), topDst[3*(n-1):])
		if botY != nil {
			vp8YUVToRGB(botY[n-1], uint8((3*lU+tlU+2)>>2), uint8((3*lV+tlV+2)>>2), botDst[3*(n-1):])
		}
	}
}
