package imagefmt

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/facevec/facevec/result"
)

func TestLimitsCheck(t *testing.T) {
	const mp50 = 50_000_000
	tests := []struct {
		name string
		l    Limits
		size int64
		h    Header
		code result.Code // "" = accepted
		msg  string
	}{
		{"within limits", Limits{MaxBytes: 25 << 20, MaxPixels: mp50}, 1 << 20, Header{Format: JPEG, Width: 4000, Height: 3000}, "", ""},
		{"exactly at the pixel limit", Limits{MaxPixels: 12_000_000}, 1, Header{Width: 4000, Height: 3000}, "", ""},
		{"no limits", Limits{}, math.MaxInt64, Header{Width: 1 << 30, Height: 1 << 30}, "", ""},
		{"negative limits mean none", Limits{MaxBytes: -1, MaxPixels: -1}, 1 << 40, Header{Width: 100000, Height: 100000}, "", ""},
		{"unknown size passes", Limits{MaxBytes: 10}, -1, Header{Width: 1, Height: 1}, "", ""},
		{"too many pixels", Limits{MaxPixels: mp50}, 100, Header{Format: PNG, Width: 50000, Height: 50000}, result.CodeTooLarge,
			"image is 50000x50000 (2500.0 MP), over the limit of 50.0 MP"},
		{"one pixel over", Limits{MaxPixels: 12_000_000}, 1, Header{Width: 4001, Height: 3000}, result.CodeTooLarge, "image is 4001x3000 (12.0 MP), over the limit of 12.0 MP"},
		{"product overflows int64", Limits{MaxPixels: mp50}, 1, Header{Format: TIFF, Width: math.MaxUint32, Height: math.MaxUint32}, result.CodeTooLarge,
			"image is 4294967295x4294967295 (9223372036854.8 MP)"},
		{"file too big", Limits{MaxBytes: 25 << 20}, 30 << 20, Header{Width: 10, Height: 10}, result.CodeTooLarge, "file is 31457280 bytes (30.0 MiB), over the limit of 26214400 bytes (25.0 MiB)"},
		{"file size checked before pixels", Limits{MaxBytes: 1000, MaxPixels: 1}, 2048, Header{Width: 10, Height: 10}, result.CodeTooLarge, "file is 2048 bytes (2.0 KiB), over the limit of 1000 bytes"},
		{"zero width", Limits{MaxPixels: mp50}, 10, Header{Format: JPEG, Width: 0, Height: 480}, result.CodeDecodeFailed, "JPEG header declares no pixels (0x480)"},
		{"zero height even without limits", Limits{}, 10, Header{Format: GIF, Width: 640}, result.CodeDecodeFailed, "GIF header declares no pixels (640x0)"},
		{"negative width", Limits{}, 10, Header{Format: BMP, Width: -5, Height: 5}, result.CodeDecodeFailed, "no pixels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.l.Check(tt.size, tt.h)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			wantCode(t, err, tt.code)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err, tt.msg)
			}
		})
	}
}

// A 67-byte PNG claiming 50000x50000 RGBA (10 GB of pixels) is refused by
// ReadHeader+Check, which must not allocate anything near the image size.
func TestDecompressionBombRefusedWithoutAllocating(t *testing.T) {
	bomb := pngHeaderOnly(50000, 50000, 8, 6)
	l := Limits{MaxBytes: 25 << 20, MaxPixels: 50_000_000}

	h, err := ReadHeader(bomb)
	if err != nil {
		t.Fatalf("ReadHeader: %v", err)
	}
	if h.Width != 50000 || h.Height != 50000 || h.ColorModel != ColorRGBA {
		t.Fatalf("header %+v", h)
	}
	err = l.Check(int64(len(bomb)), h)
	wantCode(t, err, result.CodeTooLarge)
	if !strings.Contains(err.Error(), "image is 50000x50000 (2500.0 MP), over the limit of 50.0 MP") {
		t.Errorf("message %q", err)
	}

	const runs = 50
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		h, _ := ReadHeader(bomb)
		_ = l.Check(int64(len(bomb)), h)
	}
	runtime.ReadMemStats(&after)
	if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 64<<10 {
		t.Fatalf("ReadHeader+Check allocated %d bytes per run on a header-only bomb", perRun)
	}

	// Load runs the same check before decoding.
	_, err = Load(bomb, l, nil)
	wantCode(t, err, result.CodeTooLarge)
}
