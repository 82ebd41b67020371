package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"slices"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The plot: one panel per stage, time (ms, median) against image size
// (megapixels), facevec and native as two lines. Pure Go, image/png and
// x/image's built-in bitmap font.

var (
	colFacevec = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	colNative  = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	colAxis    = color.RGBA{0x40, 0x40, 0x40, 0xff}
	colGrid    = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
)

const (
	panelW, panelH = 380, 270
	cols           = 3
	marginL        = 56
	marginR        = 14
	marginT        = 26
	marginB        = 34
	legendH        = 28
)

type point struct{ x, y float64 }

// panel is one stage's two series.
type panel struct {
	stage      string
	fv, native []point
	xmax, ymax float64
}

func (c *comparison) panels() []panel {
	var ps []panel
	for _, st := range stages {
		p := panel{stage: st}
		// Landmarks and descriptors cost per face, not per pixel.
		perFace := st == "landmarks" || st == "describe"
		if perFace {
			p.stage += " (per face)"
		}
		per := func(faces int) float64 {
			if perFace && faces > 0 {
				return float64(faces)
			}
			return 1
		}
		for _, r := range c.rows {
			if r.stage != st || r.mp <= 0 || r.blas != c.plottedBLAS() {
				continue
			}
			if r.hasFV {
				p.fv = append(p.fv, point{r.mp, r.fv.median / 1e6 / per(r.fvFaces)})
			}
			if r.hasNt {
				p.native = append(p.native, point{r.mp, r.nat.median / 1e6 / per(r.natFaces)})
			}
		}
		if len(p.fv)+len(p.native) == 0 {
			continue
		}
		for _, s := range [][]point{p.fv, p.native} {
			slices.SortFunc(s, func(a, b point) int { return cmpFloat(a.x, b.x) })
			for _, q := range s {
				p.xmax, p.ymax = math.Max(p.xmax, q.x), math.Max(p.ymax, q.y)
			}
		}
		ps = append(ps, p)
	}
	return ps
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writePNG draws the panels; an error if there is nothing to draw.
func (c *comparison) writePNG(w io.Writer) error {
	ps := c.panels()
	if len(ps) == 0 {
		return fmt.Errorf("plot: no stage has a measurement with a known image size")
	}
	rows := (len(ps) + cols - 1) / cols
	img := image.NewRGBA(image.Rect(0, 0, cols*panelW, legendH+rows*panelH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	text(img, 10, 18, "facevec", colFacevec)
	text(img, 80, 18, "native dlib", colNative)
	text(img, 180, 18, "median time (ms) vs image size (MP)", colAxis)
	for i, p := range ps {
		x0, y0 := (i%cols)*panelW, legendH+(i/cols)*panelH
		drawPanel(img, image.Rect(x0, y0, x0+panelW, y0+panelH), p)
	}
	return png.Encode(w, img)
}

func drawPanel(img *image.RGBA, r image.Rectangle, p panel) {
	plot := image.Rect(r.Min.X+marginL, r.Min.Y+marginT, r.Max.X-marginR, r.Max.Y-marginB)
	text(img, plot.Min.X, r.Min.Y+16, p.stage, colAxis)
	xstep, ystep := niceStep(p.xmax), niceStep(p.ymax)
	xmax := math.Ceil(p.xmax*1.05/xstep) * xstep
	ymax := math.Ceil(p.ymax*1.1/ystep) * ystep
	px := func(q point) image.Point {
		return image.Pt(plot.Min.X+int(q.x/xmax*float64(plot.Dx())),
			plot.Max.Y-int(q.y/ymax*float64(plot.Dy())))
	}
	for v := 0.0; v <= ymax+ystep/2; v += ystep {
		y := px(point{0, v}).Y
		line(img, plot.Min.X, y, plot.Max.X, y, colGrid)
		text(img, r.Min.X+4, y+4, fmtTick(v), colAxis)
	}
	for v := 0.0; v <= xmax+xstep/2; v += xstep {
		x := px(point{v, 0}).X
		line(img, x, plot.Max.Y, x, plot.Max.Y+4, colAxis)
		text(img, x-10, plot.Max.Y+17, fmtTick(v), colAxis)
	}
	text(img, plot.Max.X-20, r.Max.Y-4, "MP", colAxis)
	line(img, plot.Min.X, plot.Min.Y, plot.Min.X, plot.Max.Y, colAxis)
	line(img, plot.Min.X, plot.Max.Y, plot.Max.X, plot.Max.Y, colAxis)
	for _, s := range []struct {
		pts []point
		c   color.RGBA
	}{{p.native, colNative}, {p.fv, colFacevec}} {
		for i, q := range s.pts {
			a := px(q)
			square(img, a, 3, s.c)
			if i > 0 {
				b := px(s.pts[i-1])
				line(img, b.X, b.Y, a.X, a.Y, s.c)
				line(img, b.X, b.Y+1, a.X, a.Y+1, s.c)
			}
		}
	}
}

// niceStep is 1, 2 or 5 × 10^k, giving about four ticks up to max.
func niceStep(max float64) float64 {
	if max <= 0 || math.IsNaN(max) || math.IsInf(max, 0) {
		return 1
	}
	raw := max / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func fmtTick(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.4gk", v/1000)
	}
	return fmt.Sprintf("%.4g", v)
}

func text(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13,
		Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func square(img *image.RGBA, p image.Point, r int, c color.Color) {
	draw.Draw(img, image.Rect(p.X-r, p.Y-r, p.X+r+1, p.Y+r+1), image.NewUniform(c), image.Point{}, draw.Src)
}

// line is Bresenham's; pixels outside img are dropped by Set.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.Set(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
