package cli

import (
	"strings"
	"testing"
)

// TestIndexCalibrate: `facevec index --calibrate` prints what the index's
// distance is (the embedded stand-in's is Euclidean) and leaves no vector
// behind; --distance takes euclidean or squared only (issue #28).
func TestIndexCalibrate(t *testing.T) {
	_, srv := startVectorStack(t)
	code, out, stderr := run(t, "index", "--calibrate")
	if code != ExitOK || strings.TrimSpace(out) != "euclidean" {
		t.Fatalf("index --calibrate: exit %d, stdout %q, stderr %q; want euclidean", code, out, stderr)
	}
	if n := srv.S3Vectors().Stats().Vectors; n != 0 {
		t.Errorf("the calibration left %d vectors in the index", n)
	}
	if code, _, stderr := run(t, "search", "--distance", "cubed", "a.jpg"); code != ExitUsage || !strings.Contains(stderr, `--distance "cubed"`) {
		t.Errorf("search --distance cubed: exit %d, stderr %q; want a usage error", code, stderr)
	}
}
