package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/dlib"
	"github.com/facevec/facevec/internal/cli/settings"
)

// open loads the encoder with as many workers as can help: one per image
// at most, and no more than the CPUs (each worker holds its own copy of the
// networks, ~100 MB, and dlib keeps one core busy).
func openEncoder(f *settings.Image, inputs int, stderr io.Writer) (*dlib.Encoder, error) {
	w := max(f.Workers, 1)
	if limit := max(min(inputs, runtime.NumCPU()), 1); w > limit {
		if f.Workers > runtime.NumCPU() {
			fmt.Fprintf(stderr, "facevec: --workers %d capped at %d (CPUs and inputs)\n", f.Workers, limit)
		}
		w = limit
	}
	f.Workers = w
	if err := useBLAS(f.BLAS, stderr); err != nil {
		return nil, err
	}
	return dlib.New(face.ModelsDir(f.Models), dlib.WithWorkers(w))
}

// useBLAS chooses OpenBLAS's kernels before the encoder exists. A set
// named on purpose that cannot run is an error; when the default cannot
// (a CPU without AVX2), OpenBLAS's own choice runs with a warning, since
// the vectors then differ from the Lambda's in the 7th digit.
func useBLAS(name string, stderr io.Writer) error {
	err := dlib.UseBLAS(name)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dlib.ErrBLASUnknown) || !strings.EqualFold(name, face.DefaultBLAS):
		return fmt.Errorf("--blas %s: %w", name, err)
	}
	fmt.Fprintf(stderr, "facevec: warning: %v; vectors may differ from the Lambda's by about 1e-7 per value\n", err)
	return nil
}
