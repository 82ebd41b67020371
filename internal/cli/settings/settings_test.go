package settings

import (
	"flag"
	"io"
	"testing"

	"github.com/facevec/facevec/function/face"
)

// parsed is Image as a command's flags leave it after args.
func parsed(t *testing.T, all bool, args ...string) face.Params {
	t.Helper()
	var f Image
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.Register(fs, all)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	p, err := f.Params().Normalized()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDefaultsBoundDetection: with no flags, a small file that decodes to
// a large flat image (a 575 KB JPEG of 7000×7000) is detected on a copy of
// at most face.DefaultMaxSide a side, as the Lambda does, so the
// detector's pyramid stays a few tens of megapixels instead of 196 M
// (gigabytes); every command that encodes, and --max-side 0 still turns
// the bound off.
func TestDefaultsBoundDetection(t *testing.T) {
	const side = 7000
	bound := int64(face.DefaultMaxSide*face.DefaultMaxSide) << 2 // upsampled once
	for _, all := range []bool{true, false} {
		p := parsed(t, all)
		if p.MaxSide != face.DefaultMaxSide {
			t.Errorf("all=%v: default max side %d; want the function's %d", all, p.MaxSide, face.DefaultMaxSide)
		}
		if px := p.DetectPixels(side, side); px > bound {
			t.Errorf("all=%v: defaults detect on %d px for a %dx%d image; want at most %d", all, px, side, side, bound)
		}
		if p := parsed(t, all, "--max-side", "0"); p.DetectPixels(side, side) != int64(side*side)<<(2*p.Upsample) {
			t.Errorf("all=%v: --max-side 0 detects on %d px; want the whole image upsampled", all, p.DetectPixels(side, side))
		}
	}
}
