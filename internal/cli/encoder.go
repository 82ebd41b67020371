package cli

import (
	"fmt"
	"io"
	"runtime"

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
	return dlib.New(face.ModelsDir(f.Models), dlib.WithWorkers(w))
}
