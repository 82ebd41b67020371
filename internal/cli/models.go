package cli

import (
	"context"
	"fmt"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/dlib"
)

func runModels(_ context.Context, args []string, stdio IO) (int, error) {
	fs := newFlags("models", "[--models DIR]", stdio)
	dir := fs.String("models", "", "model directory (default $FACEVEC_MODELS, $LAMBDA_TASK_ROOT/models, ./models)")
	rest, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	if len(rest) > 0 {
		return 0, usageErr(stdio, fs, "unexpected arguments %q", rest)
	}
	d := face.ModelsDir(*dir)
	if err := dlib.PrepareModels(d); err != nil {
		return 0, err
	}
	fmt.Fprintf(stdio.Stderr, "models: %s verified; %s ready\n", d, face.HOGFile)
	return ExitOK, nil
}
