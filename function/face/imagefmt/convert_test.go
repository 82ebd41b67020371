package imagefmt

import (
	"bytes"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// opaqueImage hides the concrete type so that ToRGB takes the generic path.
type opaqueImage struct{ image.Image }

// randomImages returns one image per fast path, filled with random bytes
// (alpha, palette indices past the palette and premultiplied samples above
// their alpha included), as sub-images with odd origins and strides so
// that the offset arithmetic is exercised.
func randomImages(seed uint64) map[string]image.Image {
	rng := rand.New(rand.NewPCG(seed, 1))
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	r := image.Rect(-3, 5, 34, 28) // 37x23, negative and odd origin
	sub := image.Rect(-1, 6, 30, 27)
	out := map[string]image.Image{}
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		m := image.NewYCbCr(r, ratio)
		fill(m.Y)
		fill(m.Cb)
		fill(m.Cr)
		out["ycbcr "+ratio.String()] = m.SubImage(sub)
		out["ycbcr full "+ratio.String()] = m
	}
	a := image.NewNYCbCrA(r, image.YCbCrSubsampleRatio420)
	fill(a.Y)
	fill(a.Cb)
	fill(a.Cr)
	fill(a.A)
	out["nycbcra"] = a.SubImage(sub)

	nrgba := image.NewNRGBA(r)
	fill(nrgba.Pix)
	out["nrgba"] = nrgba.SubImage(sub)
	rgba := image.NewRGBA(r)
	fill(rgba.Pix) // includes samples above alpha: invalid premultiplied data
	out["rgba"] = rgba.SubImage(sub)
	gray := image.NewGray(r)
	fill(gray.Pix)
	out["gray"] = gray.SubImage(sub)
	g16 := image.NewGray16(r)
	fill(g16.Pix)
	out["gray16"] = g16.SubImage(sub)
	n64 := image.NewNRGBA64(r)
	fill(n64.Pix)
	out["nrgba64"] = n64.SubImage(sub)
	r64 := image.NewRGBA64(r)
	fill(r64.Pix)
	out["rgba64"] = r64.SubImage(sub)
	cmyk := image.NewCMYK(r)
	fill(cmyk.Pix)
	out["cmyk"] = cmyk.SubImage(sub)
	pal := color.Palette{color.NRGBA{1, 2, 3, 0}, color.RGBA{10, 20, 30, 40}, color.Gray{77}, color.NRGBA{200, 100, 50, 255}}
	p := image.NewPaletted(r, pal)
	fill(p.Pix)
	for i := range p.Pix {
		p.Pix[i] %= uint8(len(pal)) // image.Paletted.At panics past the palette
	}
	out["paletted"] = p.SubImage(sub)
	short := image.NewPaletted(r, pal)
	fill(short.Pix) // mostly indices past the 4-entry palette
	out["paletted past the palette"] = short.SubImage(sub)
	out["alpha (no fast path)"] = func() image.Image {
		m := image.NewAlpha(r)
		fill(m.Pix)
		return m
	}()
	return out
}

// The fast paths must give exactly what the per-pixel At path gives.
func TestToRGBFastPathsMatchAt(t *testing.T) {
	for name, img := range randomImages(7) {
		if name == "paletted past the palette" {
			continue // At panics there; TestToRGBValues covers it
		}
		t.Run(name, func(t *testing.T) {
			fast := ToRGB(img)
			slow := ToRGB(opaqueImage{img})
			b := img.Bounds()
			if fast.Width != b.Dx() || fast.Height != b.Dy() || !fast.Valid() {
				t.Fatalf("fast: %dx%d, %d bytes", fast.Width, fast.Height, len(fast.Pix))
			}
			if !bytes.Equal(fast.Pix, slow.Pix) {
				for i := range fast.Pix {
					if fast.Pix[i] != slow.Pix[i] {
						px := i / 3
						t.Fatalf("first difference at pixel (%d,%d): fast %v, At %v",
							px%fast.Width, px/fast.Width, fast.Pix[px*3:px*3+3], slow.Pix[px*3:px*3+3])
					}
				}
			}
		})
	}
}

// Conversions checked against independent definitions, pixel by pixel.
func TestToRGBValues(t *testing.T) {
	imgs := randomImages(11)
	check := func(t *testing.T, img image.Image, want func(x, y int) [3]uint8) {
		t.Helper()
		got := ToRGB(img)
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl := got.RGBAt(x-b.Min.X, y-b.Min.Y)
				if w := want(x, y); [3]uint8{r, g, bl} != w {
					t.Fatalf("(%d,%d): got %d,%d,%d want %v", x, y, r, g, bl, w)
				}
			}
		}
	}
	t.Run("ycbcr uses YCbCrToRGB on the subsampled chroma", func(t *testing.T) {
		for _, k := range []string{"ycbcr YCbCrSubsampleRatio420", "ycbcr YCbCrSubsampleRatio410", "ycbcr YCbCrSubsampleRatio440", "ycbcr YCbCrSubsampleRatio411", "ycbcr full YCbCrSubsampleRatio422"} {
			m := imgs[k].(*image.YCbCr)
			check(t, m, func(x, y int) [3]uint8 {
				c := m.YCbCrAt(x, y)
				r, g, b := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				return [3]uint8{r, g, b}
			})
		}
	})
	t.Run("nrgba drops alpha and keeps the straight colour", func(t *testing.T) {
		m := imgs["nrgba"].(*image.NRGBA)
		check(t, m, func(x, y int) [3]uint8 { c := m.NRGBAAt(x, y); return [3]uint8{c.R, c.G, c.B} })
	})
	t.Run("rgba is un-premultiplied like color.NRGBAModel", func(t *testing.T) {
		m := imgs["rgba"].(*image.RGBA)
		check(t, m, func(x, y int) [3]uint8 {
			c := m.RGBAAt(x, y)
			c.R, c.G, c.B = min(c.R, c.A), min(c.G, c.A), min(c.B, c.A) // valid premultiplied
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			if c.A == 0 {
				return [3]uint8{}
			}
			return [3]uint8{n.R, n.G, n.B}
		})
	})
	t.Run("16-bit keeps the high byte", func(t *testing.T) {
		g := imgs["gray16"].(*image.Gray16)
		check(t, g, func(x, y int) [3]uint8 { v := uint8(g.Gray16At(x, y).Y >> 8); return [3]uint8{v, v, v} })
		n := imgs["nrgba64"].(*image.NRGBA64)
		check(t, n, func(x, y int) [3]uint8 {
			c := n.NRGBA64At(x, y)
			return [3]uint8{uint8(c.R >> 8), uint8(c.G >> 8), uint8(c.B >> 8)}
		})
	})
	t.Run("paletted indices past the palette are black", func(t *testing.T) {
		m := imgs["paletted past the palette"].(*image.Paletted)
		check(t, m, func(x, y int) [3]uint8 {
			switch m.ColorIndexAt(x, y) {
			case 0:
				return [3]uint8{1, 2, 3} // fully transparent: straight colour kept
			case 1:
				return [3]uint8{63, 127, 191} // RGBA{10,20,30,40} un-premultiplied
			case 2:
				return [3]uint8{77, 77, 77}
			case 3:
				return [3]uint8{200, 100, 50}
			}
			return [3]uint8{}
		})
	})
	t.Run("cmyk uses CMYKToRGB", func(t *testing.T) {
		m := imgs["cmyk"].(*image.CMYK)
		check(t, m, func(x, y int) [3]uint8 {
			c := m.CMYKAt(x, y)
			r, g, b := color.CMYKToRGB(c.C, c.M, c.Y, c.K)
			return [3]uint8{r, g, b}
		})
	})
}

func TestUnpremultiplyMatchesGo(t *testing.T) {
	for a := 0; a < 256; a++ {
		for v := 0; v <= a; v++ {
			c := color.RGBA{uint8(v), 0, 0, uint8(a)}
			want := color.NRGBAModel.Convert(c).(color.NRGBA).R
			if a == 0 {
				want = 0
			}
			if got := unpremultiply(uint32(v)*0x101, uint32(a)*0x101); got != want {
				t.Fatalf("v=%d a=%d: got %d, want %d", v, a, got, want)
			}
		}
	}
	// Invalid premultiplied data clamps instead of wrapping around.
	if got := unpremultiply(0xffff, 0x0101); got != 0xff {
		t.Fatalf("clamp: got %d", got)
	}
}

func TestToRGBEmpty(t *testing.T) {
	im := ToRGB(image.NewRGBA(image.Rect(5, 5, 5, 9)))
	if im.Width != 0 || im.Height != 4 || len(im.Pix) != 0 {
		t.Fatalf("got %dx%d with %d bytes", im.Width, im.Height, len(im.Pix))
	}
}
