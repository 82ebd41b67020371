package cli

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"

	"github.com/facevec/facevec/function/face/dlib"
	"github.com/facevec/facevec/internal/cli/settings"
	"github.com/facevec/facevec/result"
)

// runAnnotate draws each face's box (green) and 5 landmarks (red) on the
// upright image and writes a PNG.
func runAnnotate(ctx context.Context, args []string, stdio IO) (int, error) {
	var f settings.Image
	fs := newFlags("annotate", "[flags] IMAGE -o OUT.png", stdio)
	f.Register(fs, true)
	out := fs.String("o", "", "output PNG file (required)")
	pos, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	if len(pos) != 1 || *out == "" {
		return 0, usageErr(stdio, fs, "want one IMAGE and -o OUT.png")
	}
	if msg := f.Validate(); msg != "" {
		return 0, usageErr(stdio, fs, "%s", msg)
	}
	data, err := readImage(pos[0], f.MaxBytes)
	if err != nil {
		return 0, err
	}
	f.Workers = 1
	enc, err := openEncoder(&f, 1, stdio.Stderr)
	if err != nil {
		return 0, err
	}
	defer enc.Close()
	p := f.Params()
	r, err := enc.Encode(ctx, data, p)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", pos[0], err)
	}
	img, _, err := dlib.Decode(data, p.Limits)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", pos[0], err)
	}
	canvas := image.NewNRGBA(image.Rect(0, 0, img.Width, img.Height))
	for i, j := 0, 0; i < len(img.Pix); i, j = i+3, j+4 {
		canvas.Pix[j], canvas.Pix[j+1], canvas.Pix[j+2], canvas.Pix[j+3] = img.Pix[i], img.Pix[i+1], img.Pix[i+2], 255
	}
	thick := max(2, min(img.Width, img.Height)/300)
	for _, fc := range r.Faces {
		drawBox(canvas, fc.Box, thick, color.NRGBA{0, 255, 0, 255})
		for _, l := range fc.Landmarks {
			fillRect(canvas, image.Rect(l[0]-thick, l[1]-thick, l[0]+thick+1, l[1]+thick+1), color.NRGBA{255, 0, 0, 255})
		}
	}
	file, err := os.Create(*out)
	if err != nil {
		return 0, err
	}
	if err := png.Encode(file, canvas); err != nil {
		file.Close()
		return 0, fmt.Errorf("write %s: %w", *out, err)
	}
	if err := file.Close(); err != nil {
		return 0, fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(stdio.Stderr, "%s: %d face(s) drawn to %s\n", pos[0], len(r.Faces), *out)
	return ExitOK, nil
}

func drawBox(img *image.NRGBA, b result.Box, t int, c color.NRGBA) {
	fillRect(img, image.Rect(b.Left, b.Top, b.Right, b.Top+t), c)
	fillRect(img, image.Rect(b.Left, b.Bottom-t, b.Right, b.Bottom), c)
	fillRect(img, image.Rect(b.Left, b.Top, b.Left+t, b.Bottom), c)
	fillRect(img, image.Rect(b.Right-t, b.Top, b.Right, b.Bottom), c)
}

func fillRect(img *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
}
