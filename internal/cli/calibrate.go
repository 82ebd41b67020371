package cli

import (
	"context"
	"flag"
	"fmt"
)

// runCalibrate is `facevec index --calibrate`: it prints what QueryVectors'
// distance is ("euclidean" or "squared"), for --distance and
// FACEVEC_VECTOR_DISTANCE (deploy/smoke.sh runs it on a new stack).
func runCalibrate(ctx context.Context, vf *vectorFlags, fs *flag.FlagSet, stdio IO) (int, error) {
	if msg := vf.validate(); msg != "" {
		return 0, usageErr(stdio, fs, "%s", msg)
	}
	ix, err := vf.open(ctx)
	if err != nil {
		return 0, err
	}
	squared, err := ix.Calibrate(ctx)
	if err != nil {
		return ExitError, err
	}
	metric := "euclidean"
	if squared {
		metric = "squared"
	}
	_, err = fmt.Fprintln(stdio.Stdout, metric)
	return 0, err
}
