package imagefmt

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/facevec/facevec/result"
)

// Limits bounds what will be decoded. A zero (or negative) field means no
// limit. The Lambda sets them from MAX_OBJECT_BYTES and MAX_PIXELS.
type Limits struct {
	MaxBytes  int64 // largest accepted file size
	MaxPixels int64 // largest accepted Width*Height
}

// CheckBytes refuses a file larger than MaxBytes with result.ErrTooLarge.
// It needs only the size, so it can run on an S3 object's Content-Length
// before the object is downloaded. A negative size means unknown and passes.
func (l Limits) CheckBytes(size int64) error {
	if l.MaxBytes > 0 && size > l.MaxBytes {
		return result.Errorf(result.CodeTooLarge, "file is %d bytes (%s), over the limit of %d bytes (%s)",
			size, humanBytes(size), l.MaxBytes, humanBytes(l.MaxBytes))
	}
	return nil
}

// Check refuses, before any pixel is allocated, an image whose file is
// larger than MaxBytes or whose header declares more than MaxPixels
// (result.ErrTooLarge, "image is 50000x50000 (2500.0 MP), over the limit of
// 50.0 MP"). A header with a zero or negative width or height cannot be
// decoded and wraps result.ErrDecodeFailed.
func (l Limits) Check(size int64, h Header) error {
	if err := l.CheckBytes(size); err != nil {
		return err
	}
	if h.Width <= 0 || h.Height <= 0 {
		return result.Errorf(result.CodeDecodeFailed, "%s header declares no pixels (%dx%d)",
			h.Format.Name(), h.Width, h.Height)
	}
	if n := h.Pixels(); l.MaxPixels > 0 && n > l.MaxPixels {
		return result.Errorf(result.CodeTooLarge, "image is %dx%d (%s), over the limit of %s",
			h.Width, h.Height, megapixels(n), megapixels(l.MaxPixels))
	}
	return nil
}

// pixels is w*h for non-negative sizes, saturating at MaxInt64 (a TIFF may
// declare 2^32-1 on each side, whose product overflows int64).
func pixels(w, h int) int64 {
	if w <= 0 || h <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(w), uint64(h))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

func megapixels(n int64) string {
	return fmt.Sprintf("%.1f MP", float64(n)/1e6)
}

// humanBytes prints a size the way the limits are configured (MiB).
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
