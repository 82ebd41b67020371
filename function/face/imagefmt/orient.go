package imagefmt

// UprightSize returns the displayed width and height of a w×h image stored
// with EXIF orientation o: orientations 5..8 swap the sides.
func UprightSize(w, h, o int) (int, int) {
	if o >= 5 && o <= 8 {
		return h, w
	}
	return w, h
}

// Upright returns the image as it should be displayed given the EXIF
// orientation o it was stored with:
//
//	1 as stored            5 transposed (mirror + rotate 270° CW)
//	2 mirrored left-right  6 rotated 90° clockwise
//	3 rotated 180°         7 transversed (mirror + rotate 90° CW)
//	4 mirrored top-bottom  8 rotated 90° counter-clockwise
//
// For o = 1, o outside 1..8, or an image whose Pix does not match its
// size, it returns im itself; otherwise a new image (im is not modified).
func (im *RGB) Upright(o int) *RGB {
	if o < 2 || o > 8 || !im.Valid() || im.Width == 0 || im.Height == 0 {
		return im
	}
	W, H := im.Width, im.Height
	dw, dh := UprightSize(W, H, o)
	dst := NewRGB(dw, dh)
	// Destination pixel (x', y') comes from source index base(y') + x'*step:
	// each case is the source position written out for that orientation.
	var base func(y int) int
	var step int
	switch o {
	case 2: // src(W-1-x', y')
		base, step = func(y int) int { return y*W + W - 1 }, -1
	case 3: // src(W-1-x', H-1-y')
		base, step = func(y int) int { return (H-1-y)*W + W - 1 }, -1
	case 4: // src(x', H-1-y')
		base, step = func(y int) int { return (H - 1 - y) * W }, 1
	case 5: // src(y', x')
		base, step = func(y int) int { return y }, W
	case 6: // src(y', H-1-x')
		base, step = func(y int) int { return (H-1)*W + y }, -W
	case 7: // src(W-1-y', H-1-x')
		base, step = func(y int) int { return (H-1)*W + W - 1 - y }, -W
	case 8: // src(W-1-y', x')
		base, step = func(y int) int { return W - 1 - y }, W
	}
	src, out := im.Pix, dst.Pix
	if o <= 4 {
		// Row to row: copy whole pixels along the row.
		for y := range dh {
			s := base(y)
			d := out[3*y*dw : 3*(y+1)*dw]
			for i := 0; i < len(d); i += 3 {
				d[i], d[i+1], d[i+2] = src[3*s], src[3*s+1], src[3*s+2]
				s += step
			}
		}
		return dst
	}
	// Rotations read source columns; go in square tiles so that both
	// sides stay in cache on large photos.
	const tile = 64
	for ty := 0; ty < dh; ty += tile {
		for tx := 0; tx < dw; tx += tile {
			for y := ty; y < min(ty+tile, dh); y++ {
				s := base(y) + tx*step
				d := 3 * (y*dw + tx)
				for x := tx; x < min(tx+tile, dw); x++ {
					out[d], out[d+1], out[d+2] = src[3*s], src[3*s+1], src[3*s+2]
					s += step
					d += 3
				}
			}
		}
	}
	return dst
}
