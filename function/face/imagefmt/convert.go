package imagefmt

import (
	"image"
	"image/color"
)

// ToRGB converts any image to packed 8-bit RGB:
//   - 16-bit samples keep their high byte (v >> 8);
//   - alpha is dropped, keeping the straight (non-premultiplied) colour,
//     as PIL's convert("RGB") does; premultiplied images are divided back;
//   - gray is replicated, paletted images go through their palette (an
//     index past the palette is black), CMYK and YCbCr use Go's formulas.
//
// The common decoder outputs (*image.YCbCr, NYCbCrA, NRGBA, RGBA, Gray,
// Paletted, CMYK and the 16-bit kinds) are converted from their Pix slices
// without a per-pixel interface call; anything else goes through At.
func ToRGB(img image.Image) *RGB {
	b := img.Bounds()
	dst := NewRGB(b.Dx(), b.Dy())
	if b.Empty() {
		return dst
	}
	switch m := img.(type) {
	case *image.YCbCr:
		fromYCbCr(dst, m)
	case *image.NYCbCrA:
		fromYCbCr(dst, &m.YCbCr) // straight colour: alpha is simply dropped
	case *image.NRGBA:
		rows(dst, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), func(d, s []byte) {
			for i, j := 0, 0; i < len(d); i, j = i+3, j+4 {
				d[i], d[i+1], d[i+2] = s[j], s[j+1], s[j+2]
			}
		})
	case *image.RGBA:
		rows(dst, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), func(d, s []byte) {
			for i, j := 0, 0; i < len(d); i, j = i+3, j+4 {
				if a := s[j+3]; a == 0xff {
					d[i], d[i+1], d[i+2] = s[j], s[j+1], s[j+2]
				} else {
					a16 := uint32(a) * 0x101
					d[i] = unpremultiply(uint32(s[j])*0x101, a16)
					d[i+1] = unpremultiply(uint32(s[j+1])*0x101, a16)
					d[i+2] = unpremultiply(uint32(s[j+2])*0x101, a16)
				}
			}
		})
	case *image.Gray:
		rows(dst, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), func(d, s []byte) {
			for i, j := 0, 0; i < len(d); i, j = i+3, j+1 {
				d[i], d[i+1], d[i+2] = s[j], s[j], s[j]
			}
		})
	case *image.Gray16:
		rows(dst, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), func(d, s []byte) {
			for i, j := 0, 0; i < len(d); i, j = i+3, j+2 {
				d[i], d[i+1], d[i+2] = s[j], s[j], s[j] // big-endian: high byte first
			}
		})
	case *image.NRGBA64:
		rows(dst, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), func(d, s []byte) {
			for i, j := 0, 0; i < len(d); i, j = i+3, j+8 {
				d[i], d[i+1], d[i+2] = s[j], s[j+2], s[j+4]
			}
		})
	case *image.RGBA64:
		rows(dst, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), func(d, s []byte) {
			for i, j := 0, 0; i < len(d); i, j = i+3, j+8 {
				a := uint32(s[j+6])<<8 | uint32(s[j+7])
				if a == 0xffff {
					d[i], d[i+1], d[i+2] = s[j], s[j+2], s[j+4]
				} else {
					d[i] = unpremultiply(uint32(s[j])<<8|uint32(s[j+1]), a)
					d[i+1] = unpremultiply(uint32(s[j+2])<<8|uint32(s[j+3]), a)
					d[i+2] = unpremultiply(uint32(s[j+4])<<8|uint32(s[j+5]), a)
				}
			}
		})
	case *image.CMYK:
		rows(dst, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), func(d, s []byte) {
			for i, j := 0, 0; i < len(d); i, j = i+3, j+4 {
				d[i], d[i+1], d[i+2] = color.CMYKToRGB(s[j], s[j+1], s[j+2], s[j+3])
			}
		})
	case *image.Paletted:
		var lut [256][3]byte // entries past the palette stay black
		for i, c := range m.Palette[:min(len(m.Palette), 256)] {
			lut[i][0], lut[i][1], lut[i][2] = rgb8(c)
		}
		rows(dst, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), func(d, s []byte) {
			for i, j := 0, 0; i < len(d); i, j = i+3, j+1 {
				c := &lut[s[j]]
				d[i], d[i+1], d[i+2] = c[0], c[1], c[2]
			}
		})
	default:
		fromAny(dst, img)
	}
	return dst
}

// rows calls fn for each destination row with the source row that starts
// at pix[off + y*stride]. fn sees exactly one row of each.
func rows(dst *RGB, pix []byte, stride, off int, fn func(d, s []byte)) {
	w := 3 * dst.Width
	for y := range dst.Height {
		s := pix[off+y*stride:]
		fn(dst.Pix[y*w:(y+1)*w], s[:min(len(s), stride)])
	}
}

// fromYCbCr converts any chroma subsampling without per-pixel method
// calls: the chroma index follows image.YCbCr.COffset.
func fromYCbCr(dst *RGB, m *image.YCbCr) {
	hs, vs := 1, 1 // horizontal and vertical chroma subsampling
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	r := m.Rect
	w := 3 * dst.Width
	for y := r.Min.Y; y < r.Max.Y; y++ {
		d := dst.Pix[(y-r.Min.Y)*w : (y-r.Min.Y+1)*w]
		yi := (y-r.Min.Y)*m.YStride + 0
		yRow := m.Y[yi : yi+r.Dx()]
		ci := (y/vs - r.Min.Y/vs) * m.CStride
		cbRow, crRow := m.Cb[ci:], m.Cr[ci:]
		x0 := r.Min.X / hs
		for x := r.Min.X; x < r.Max.X; x++ {
			c := x/hs - x0
			i := 3 * (x - r.Min.X)
			d[i], d[i+1], d[i+2] = color.YCbCrToRGB(yRow[x-r.Min.X], cbRow[c], crRow[c])
		}
	}
}

// fromAny is the slow path for colour models without a fast path.
func fromAny(dst *RGB, img image.Image) {
	b := img.Bounds()
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2] = rgb8(img.At(x, y))
			i += 3
		}
	}
}

// rgb8 converts one colour with the same rules as the fast paths, so that
// both give identical bytes.
func rgb8(c color.Color) (r, g, b uint8) {
	switch c := c.(type) {
	case nil:
		return 0, 0, 0
	case color.NRGBA:
		return c.R, c.G, c.B
	case color.NRGBA64:
		return uint8(c.R >> 8), uint8(c.G >> 8), uint8(c.B >> 8)
	case color.Gray:
		return c.Y, c.Y, c.Y
	case color.Gray16:
		return uint8(c.Y >> 8), uint8(c.Y >> 8), uint8(c.Y >> 8)
	case color.YCbCr:
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case color.NYCbCrA:
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case color.CMYK:
		return color.CMYKToRGB(c.C, c.M, c.Y, c.K)
	}
	r16, g16, b16, a16 := c.RGBA() // premultiplied
	return unpremultiply(r16, a16), unpremultiply(g16, a16), unpremultiply(b16, a16)
}

// unpremultiply turns a 16-bit premultiplied sample into a straight 8-bit
// one, as color.NRGBAModel does, clamping samples that exceed their alpha
// (invalid premultiplied data some TIFFs carry) instead of wrapping.
func unpremultiply(v, a uint32) uint8 {
	switch a {
	case 0:
		return 0
	case 0xffff:
		return uint8(v >> 8)
	}
	v = v * 0xffff / a
	if v > 0xffff {
		v = 0xffff
	}
	return uint8(v >> 8)
}
