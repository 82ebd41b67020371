package imagefmt

import (
	"bytes"
	"fmt"
	"testing"
)

// labelled builds a w×h RGB whose pixel (x, y) holds a unique label
// (y*w + x + 1) in all three channels' combination, so any misplaced
// pixel is visible.
func labelled(w, h int) *RGB {
	im := NewRGB(w, h)
	for i := range w * h {
		im.Pix[3*i], im.Pix[3*i+1], im.Pix[3*i+2] = byte(i+1), byte((i+1)>>8), byte(255-i)
	}
	return im
}

// labels lists each row's labels (R channel), for readable failures.
func labels(im *RGB) [][]int {
	out := make([][]int, im.Height)
	for y := range im.Height {
		for x := range im.Width {
			r, g, _ := im.RGBAt(x, y)
			out[y] = append(out[y], int(r)|int(g)<<8)
		}
	}
	return out
}

// The stored image is
//
//	1 2 3
//	4 5 6
//
// and each row below is what a viewer shows for that EXIF orientation,
// worked out by hand from the EXIF 2.32 definitions.
func TestUprightLiteral(t *testing.T) {
	want := map[int][][]int{
		1: {{1, 2, 3}, {4, 5, 6}},
		2: {{3, 2, 1}, {6, 5, 4}},   // mirror left-right
		3: {{6, 5, 4}, {3, 2, 1}},   // rotate 180
		4: {{4, 5, 6}, {1, 2, 3}},   // mirror top-bottom
		5: {{1, 4}, {2, 5}, {3, 6}}, // transpose
		6: {{4, 1}, {5, 2}, {6, 3}}, // rotate 90 clockwise
		7: {{6, 3}, {5, 2}, {4, 1}}, // transverse
		8: {{3, 6}, {2, 5}, {1, 4}}, // rotate 90 counter-clockwise
	}
	for o := 1; o <= 8; o++ {
		src := labelled(3, 2)
		orig := append([]byte{}, src.Pix...)
		got := src.Upright(o)
		if fmt.Sprint(labels(got)) != fmt.Sprint(want[o]) {
			t.Errorf("o=%d: got %v, want %v", o, labels(got), want[o])
		}
		if w, h := UprightSize(3, 2, o); got.Width != w || got.Height != h {
			t.Errorf("o=%d: size %dx%d, UprightSize %dx%d", o, got.Width, got.Height, w, h)
		}
		if !bytes.Equal(src.Pix, orig) {
			t.Errorf("o=%d: Upright modified its receiver", o)
		}
	}
}

// Independent geometric helpers: what a camera stores, given the upright
// scene, for each orientation (the inverse of what Upright must do).
func flipH(im *RGB) *RGB {
	return remap(im, im.Width, im.Height, func(x, y int) (int, int) { return im.Width - 1 - x, y })
}
func flipV(im *RGB) *RGB {
	return remap(im, im.Width, im.Height, func(x, y int) (int, int) { return x, im.Height - 1 - y })
}
func transpose(im *RGB) *RGB {
	return remap(im, im.Height, im.Width, func(x, y int) (int, int) { return y, x })
}

// rotateCW turns the picture a quarter turn clockwise: the left column,
// read bottom to top, becomes the top row.
func rotateCW(im *RGB) *RGB {
	return remap(im, im.Height, im.Width, func(x, y int) (int, int) { return y, im.Height - 1 - x })
}

// remap builds a w×h image whose (x, y) is src at from(x, y).
func remap(src *RGB, w, h int, from func(x, y int) (int, int)) *RGB {
	out := NewRGB(w, h)
	for y := range h {
		for x := range w {
			sx, sy := from(x, y)
			copy(out.Pix[3*(y*w+x):3*(y*w+x)+3], src.Pix[3*(sy*src.Width+sx):])
		}
	}
	return out
}

// stored returns how a camera stores the upright scene up when it writes
// orientation o.
func stored(up *RGB, o int) *RGB {
	switch o {
	case 2:
		return flipH(up)
	case 3:
		return flipV(flipH(up))
	case 4:
		return flipV(up)
	case 5:
		return transpose(up)
	case 6: // shown rotated CW, so stored rotated CCW (three CW turns)
		return rotateCW(rotateCW(rotateCW(up)))
	case 7:
		return flipV(flipH(transpose(up)))
	case 8:
		return rotateCW(up)
	}
	return up
}

func TestUprightRestoresStored(t *testing.T) {
	// Odd sizes and sizes that are not multiples of the 64-pixel tile.
	for _, sz := range [][2]int{{1, 1}, {1, 7}, {7, 1}, {3, 2}, {64, 64}, {130, 67}, {67, 200}} {
		up := labelled(sz[0], sz[1])
		for o := 1; o <= 8; o++ {
			got := stored(up, o).Upright(o)
			if got.Width != up.Width || got.Height != up.Height || !bytes.Equal(got.Pix, up.Pix) {
				t.Errorf("%dx%d o=%d: Upright(stored) is not the upright image", sz[0], sz[1], o)
			}
		}
	}
}

func TestUprightLeavesOthersAlone(t *testing.T) {
	im := labelled(4, 3)
	for _, o := range []int{-1, 0, 1, 9, 1 << 20} {
		if got := im.Upright(o); got != im {
			t.Errorf("o=%d: got a new image", o)
		}
	}
	broken := &RGB{Pix: make([]byte, 5), Width: 4, Height: 3}
	if got := broken.Upright(6); got != broken {
		t.Error("malformed RGB was transformed")
	}
	var nilRGB *RGB
	if got := nilRGB.Upright(6); got != nil {
		t.Error("nil RGB")
	}
	empty := NewRGB(0, 5)
	if got := empty.Upright(6); got != empty {
		t.Error("empty RGB")
	}
}

func TestUprightSize(t *testing.T) {
	for o, want := range map[int][2]int{0: {4, 3}, 1: {4, 3}, 2: {4, 3}, 3: {4, 3}, 4: {4, 3}, 5: {3, 4}, 6: {3, 4}, 7: {3, 4}, 8: {3, 4}, 9: {4, 3}} {
		if w, h := UprightSize(4, 3, o); w != want[0] || h != want[1] {
			t.Errorf("o=%d: %dx%d, want %v", o, w, h, want)
		}
	}
}
