package imagefmt

import (
	"image"
	"image/color"
)

// RGB is a packed 8-bit RGB image in Go memory: row y starts at
// Pix[3*Width*y], pixels are R, G, B, and the origin is the top-left. This
// is the layout dlib's rgb_pixel array2d uses, so the encoder can copy it
// row by row.
//
// RGB implements image.Image so that it can be encoded or drawn on.
type RGB struct {
	Pix           []byte
	Width, Height int
}

// NewRGB allocates a black w×h image. Callers bound w*h first (Limits.Check).
func NewRGB(w, h int) *RGB {
	w, h = max(w, 0), max(h, 0)
	return &RGB{Pix: make([]byte, 3*w*h), Width: w, Height: h}
}

// Valid reports whether Pix holds exactly Width*Height pixels.
func (im *RGB) Valid() bool {
	return im != nil && im.Width >= 0 && im.Height >= 0 &&
		pixels(im.Width, im.Height) <= int64(len(im.Pix))/3 && len(im.Pix) == 3*im.Width*im.Height
}

// RGBAt returns the colour at (x, y), or black outside the image.
func (im *RGB) RGBAt(x, y int) (r, g, b uint8) {
	if x < 0 || y < 0 || x >= im.Width || y >= im.Height {
		return 0, 0, 0
	}
	i := 3 * (y*im.Width + x)
	return im.Pix[i], im.Pix[i+1], im.Pix[i+2]
}

// ColorModel implements image.Image.
func (im *RGB) ColorModel() color.Model { return color.RGBAModel }

// Bounds implements image.Image.
func (im *RGB) Bounds() image.Rectangle { return image.Rect(0, 0, im.Width, im.Height) }

// At implements image.Image.
func (im *RGB) At(x, y int) color.Color {
	r, g, b := im.RGBAt(x, y)
	return color.RGBA{r, g, b, 0xff}
}
